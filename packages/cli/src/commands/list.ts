import { collect, invalidArgument, type RecoveryPointInfo } from "@kbackup/core";
import { EXIT_CODES, type ExitCode } from "../exit-codes.js";
import { chooseInstance } from "../instance-choice.js";
import type { Session } from "../session.js";
import { formatBytes, textTable } from "../text-table.js";

/** The options of `kbackup list`. */
export interface ListCommandOptions {
  instance?: string;
}

const WHAT = ["instances", "recovery-points"] as const;
const ALIASES: Record<string, (typeof WHAT)[number]> = { instances: "instances", instance: "instances", "recovery-points": "recovery-points", "recovery-point": "recovery-points", points: "recovery-points", rps: "recovery-points" };

/** `kbackup list [instances|recovery-points]`: the vault's backup instances, or an instance's recovery points (every instance's without `--instance`). */
export async function listCommand(session: Session, what: string | undefined, options: ListCommandOptions): Promise<ExitCode> {
  const kind = ALIASES[what ?? "instances"];
  if (!kind) throw invalidArgument("what", `"${what}" is not one of ${WHAT.join(", ")}`);
  const vault = await session.openVault();
  if (kind === "instances") {
    const center = await session.center(vault);
    const states = center.protectionStates();
    const namespaces = new Map(center.listInstances().map((instance) => [instance.name, instance.protectedNamespaces]));
    if (session.options.json) {
      session.printJson(states.map((state) => ({ ...state, protectedNamespaces: namespaces.get(state.instanceName) })));
      return EXIT_CODES.ok;
    }
    if (states.length === 0) session.print(`Vault ${vault.name} has no backup instances yet.`);
    else {
      session.print(
        textTable(
          ["instance", "cluster", "policy", "protection", "last backup", "status", "operational", "vault", "namespaces"],
          states.map((state) => [
            state.instanceName,
            state.clusterName,
            state.policyName,
            state.softDeleted ? "SoftDeleted" : state.currentProtectionState,
            state.lastBackupTime,
            state.lastBackupStatus,
            state.recoveryPoints.OperationalStore,
            state.recoveryPoints.VaultStore,
            namespaces.get(state.instanceName)?.join(",") ?? "all",
          ]),
        ),
      );
    }
    return EXIT_CODES.ok;
  }
  const instances = options.instance === undefined ? vault.listInstances() : [chooseInstance(vault, options.instance)];
  const points: RecoveryPointInfo[] = [];
  for (const instance of instances) points.push(...(await collect(instance.listRecoveryPoints())));
  if (session.options.json) {
    session.printJson(points);
    return EXIT_CODES.ok;
  }
  if (points.length === 0) session.print("No recovery points.");
  else {
    session.print(
      textTable(
        ["instance", "recovery point", "time", "tag", "stores", "items", "archive", "snapshots", "expires", "state"],
        points.map((point) => [
          point.backupInstanceName,
          point.recoveryPointId,
          point.recoveryPointTime,
          point.retentionTagOverride ?? (point.retentionTag || undefined),
          Object.keys(point.dataStores).map((store) => store.replace("Store", "")).join("+"),
          point.itemCount,
          formatBytes(point.archiveSizeInBytes),
          point.volumeSnapshotCount,
          point.expiryTime,
          point.recoveryPointState,
        ]),
      ),
    );
  }
  return EXIT_CODES.ok;
}
