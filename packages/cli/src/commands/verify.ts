import { collect, invalidArgument, isKBackupError, verifyVaultRecoveryPoint, type BackupInstance, type ObjectStore, type RecoveryPointVerification, type VaultDataStore } from "@kbackup/core";
import { EXIT_CODES, type ExitCode } from "../exit-codes.js";
import { chooseInstance } from "../instance-choice.js";
import { choiceOption } from "../option-values.js";
import { ProgressBar } from "../progress-bar.js";
import type { Session } from "../session.js";
import { textTable } from "../text-table.js";

/** The options of `kbackup verify`. */
export interface VerifyCommandOptions {
  instance?: string;
  recoveryPoint?: string;
  dataStore?: string;
}

/** A backup instance that verifies its own copies, whatever the vault store's layout (vaults that have it). */
interface SelfVerifying {
  verifyRecoveryPoint(recoveryPointId: string, options: { dataStore: VaultDataStore; level: "full" }): Promise<{ objectsChecked?: number; bytesChecked?: number }>;
}

function selfVerifying(instance: BackupInstance): SelfVerifying | undefined {
  const candidate = instance as unknown as Partial<SelfVerifying>;
  return typeof candidate.verifyRecoveryPoint === "function" ? (candidate as SelfVerifying) : undefined;
}

/**
 * Verifies one copy. The operational copy is read here, object by object; a vault-store copy by the
 * instance itself when it can (only it knows how its vault store keeps copies), else as plain objects.
 */
async function verifyCopy(store: ObjectStore, vaultName: string, instance: BackupInstance, recoveryPointId: string, dataStore: VaultDataStore): Promise<RecoveryPointVerification> {
  const own = dataStore === "VaultStore" ? selfVerifying(instance) : undefined;
  if (!own) return verifyVaultRecoveryPoint({ store, vaultName, instanceName: instance.name, recoveryPointId, dataStore });
  try {
    const report = await own.verifyRecoveryPoint(recoveryPointId, { dataStore, level: "full" });
    return { recoveryPointId, dataStore, ok: true, checks: [{ name: "archive", ok: true, message: `${report.objectsChecked ?? 0} objects, ${report.bytesChecked ?? 0} bytes checked` }], archiveBytes: report.bytesChecked ?? 0, membersChecked: 0, itemsChecked: 0 };
  } catch (error) {
    if (!isKBackupError(error, "Integrity") && !isKBackupError(error, "NotFound")) throw error;
    return { recoveryPointId, dataStore, ok: false, checks: [{ name: "archive", ok: false, message: error.message }], archiveBytes: 0, membersChecked: 0, itemsChecked: 0 };
  }
}

/**
 * `kbackup verify`: reads recovery points whole and checks their manifest and checksums (archive,
 * members, objects), in every store that holds a copy. `--recovery-point` is an id, `latest` (the
 * default) or `all`; without `--instance`, every instance. Exit 0 when all hold, 1 otherwise.
 */
export async function verifyCommand(session: Session, options: VerifyCommandOptions): Promise<ExitCode> {
  const onlyStore = options.dataStore ? choiceOption<VaultDataStore>("--data-store", options.dataStore, ["OperationalStore", "VaultStore"]) : undefined;
  const vault = await session.openVault();
  const store = await session.store();
  const instances = options.instance === undefined ? vault.listInstances() : [chooseInstance(vault, options.instance)];
  const targets: Array<{ instance: BackupInstance; id: string; dataStore: VaultDataStore }> = [];
  for (const instance of instances) {
    const points = (await collect(instance.listRecoveryPoints())).filter((point) => point.recoveryPointState === "Completed");
    const which = options.recoveryPoint ?? "latest";
    const chosen = which === "all" ? points : which === "latest" ? points.slice(-1) : points.filter((point) => point.recoveryPointId === which);
    if (which !== "all" && which !== "latest" && chosen.length === 0 && options.instance !== undefined) {
      throw invalidArgument("--recovery-point", `backup instance ${instance.name} has no recovery point ${which}`);
    }
    for (const point of chosen) {
      for (const dataStore of Object.keys(point.dataStores) as VaultDataStore[]) {
        if (onlyStore === undefined || onlyStore === dataStore) targets.push({ instance, id: point.recoveryPointId, dataStore });
      }
    }
  }
  const bar = new ProgressBar(session.io, session.showsProgress);
  const results: Array<RecoveryPointVerification & { instanceName: string }> = [];
  try {
    for (const target of targets) {
      bar.update("verifying", results.length, targets.length, target.id);
      const result = await verifyCopy(store, vault.name, target.instance, target.id, target.dataStore);
      results.push({ instanceName: target.instance.name, ...result });
    }
  } finally {
    bar.done();
  }
  const failed = results.filter((result) => !result.ok);
  if (session.options.json) session.printJson(results);
  else if (results.length === 0) session.print("No recovery points to verify.");
  else {
    session.print(
      textTable(
        ["instance", "recovery point", "store", "result", "objects", "members", "detail"],
        results.map((result) => [
          result.instanceName,
          result.recoveryPointId,
          result.dataStore,
          result.ok ? "OK" : "FAILED",
          result.itemsChecked,
          result.membersChecked,
          result.checks.find((check) => !check.ok)?.message ?? result.checks.find((check) => check.name === "archive")?.message,
        ]),
      ),
    );
    session.print(failed.length === 0 ? `${results.length} cop${results.length === 1 ? "y" : "ies"} verified.` : `${failed.length} of ${results.length} copies failed verification.`);
  }
  return failed.length === 0 ? EXIT_CODES.ok : EXIT_CODES.failure;
}
