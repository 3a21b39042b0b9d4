import { Command } from "commander";
import type { CliIo } from "./cli-io.js";
import { backupCommand } from "./commands/backup.js";
import { costCommand } from "./commands/cost.js";
import { jobsCommand } from "./commands/jobs.js";
import { listCommand } from "./commands/list.js";
import { reportCommand } from "./commands/report.js";
import { planRestoreCommand, restoreCommand } from "./commands/restore.js";
import { validateBackupCommand, validateRestoreCommand } from "./commands/validate.js";
import { verifyCommand } from "./commands/verify.js";
import type { ExitCode } from "./exit-codes.js";
import { listOption, repeatedOption } from "./option-values.js";
import { Session, type GlobalOptions } from "./session.js";

const STORE_HELP = `
Stores (--store, or KBACKUP_STORE):
  file:///var/backups/kbackup        a folder (a plain path works too)
  azblob://ACCOUNT/CONTAINER/PREFIX   an Azure Blob container; signed in with, in order:
      --connection-string, AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN (a SAS
      token for the container), AZURE_STORAGE_KEY (the account key). Add ?endpoint=URL for
      another blob endpoint (Azurite: ?endpoint=http://127.0.0.1:10000/devstoreaccount1).

The store keeps the vault (--vault, or KBACKUP_VAULT; default "kbackup"): its settings,
policies, instances, recovery points and jobs. The first backup makes the vault.

Exit codes: 0 success, 1 failure, 2 completed with warnings (or compliance findings), 64 bad usage.
`;

/** A command's implementation: the session, then commander's arguments and options. */
type Action = (session: Session, ...args: never[]) => Promise<ExitCode>;
type Runnable = (session: Session, ...args: unknown[]) => Promise<ExitCode>;

/** The `kbackup` command line, writing to `io` and recording the exit code through `setExitCode`. */
export function buildProgram(io: CliIo, setExitCode: (code: ExitCode) => void): Command {
  const program = new Command("kbackup")
    .description("Back up and restore Kubernetes clusters into a vault kept in an object store.")
    .option("--store <url>", "where the vault lives: file:///path or azblob://account/container/prefix")
    .option("--vault <name>", "the vault's name", io.env.KBACKUP_VAULT ?? "kbackup")
    .option("--kubeconfig <path>", "the kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    .option("--context <name>", "the kubeconfig context (default: its current context)")
    .option("--connection-string <text>", "an Azure Storage connection string for an azblob:// store")
    .option("--json", "print JSON for scripts instead of tables")
    .option("--no-progress", "never draw progress bars")
    .showHelpAfterError("(kbackup --help lists the commands and options)")
    .addHelpText("after", STORE_HELP)
    .exitOverride()
    .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void io.stderr.write(text) });

  const run =
    (action: Action) =>
    async (...args: unknown[]): Promise<void> => {
      // Commander passes the arguments, the options, then the command itself.
      const command = args[args.length - 1] as Command;
      const session = new Session(io, command.optsWithGlobals<GlobalOptions>());
      try {
        setExitCode(await (action as unknown as Runnable)(session, ...args.slice(0, -1)));
      } finally {
        await session.close();
      }
    };

  const selection = (command: Command) =>
    command
      .option("--include-namespaces <names>", "only these namespaces (comma-separated)", listOption)
      .option("--exclude-namespaces <names>", "not these namespaces", listOption)
      .option("--include-resource-types <types>", "only these resource types (e.g. deployments.apps)", listOption)
      .option("--exclude-resource-types <types>", "not these resource types", listOption)
      .option("--label-selector <selector>", "only objects matching this label selector (repeatable: any may match)", repeatedOption)
      .option("--no-cluster-resources", "leave out cluster-scoped resources");

  // What `backup` and `validate backup` share: the selection, the instance and what a first backup makes.
  const backupOptions = (command: Command) =>
    selection(command)
      .option("--instance <name>", "the backup instance (default: the cluster's name)")
      .option("--no-snapshot-volumes", "back up persistent volumes without their data")
      .option("--policy <name>", "on first use, the vault policy to schedule and retain backups (`default`: Azure's default AKS policy)")
      .option("--redundancy <type>", "on vault creation: LocallyRedundant, ZoneRedundant or GeoRedundant")
      .option("--soft-delete <state>", "on vault creation: Off, On or AlwaysOn")
      .option("--immutability <state>", "on vault creation: Disabled, Unlocked or Locked");

  backupOptions(program.command("backup").description("protect the context's cluster (on first use) and take a backup now"))
    .option("--tag <key=value>", "a tag for the recovery point (repeatable)", repeatedOption)
    .option("--skip-validation", "protect even when the preflight checks find errors")
    .action(run(backupCommand));

  // What `restore`, `plan-restore` and `validate restore` share: what to restore, and where to.
  const restoreOptions = (command: Command, recoveryPointOption: boolean) => {
    selection(command).option("--instance <name>", "the backup instance (default: the vault's only one)");
    if (recoveryPointOption) command.option("--recovery-point <id>", "the recovery point (default: latest)");
    return command
      .option("--target-kubeconfig <path>", "the kubeconfig of the cluster to restore into (default: --kubeconfig)")
      .option("--target-context <name>", "its context (default: --context)")
      .option("--namespace-mapping <from=to>", "restore a namespace under another name (repeatable, or comma-separated)", repeatedOption)
      .option("--conflict-policy <policy>", "Skip (default) or Patch objects that exist")
      .option("--no-volume-data", "restore persistent volumes without their data")
      .option("--data-store <store>", "OperationalStore or VaultStore (default: the operational copy while it exists)")
      .option("--snapshot-namespace <name>", "where the CSI provider stages restored volumes (default: kube-system)");
  };

  restoreOptions(program.command("restore").description("restore a recovery point into a cluster"), true)
    .option("--skip-validation", "restore even when the preflight checks find errors")
    .action(run(restoreCommand));
  restoreOptions(program.command("plan-restore").description("show what a restore would do with each object, writing nothing"), true).action(run(planRestoreCommand));

  const validate = program
    .command("validate")
    .description("run the preflight checks of a backup or a restore, changing nothing; exit 1 when one finds an error");
  backupOptions(validate.command("backup").description("the checks of `kbackup backup` with the same options: of the instance, or of protecting the cluster")).action(run(validateBackupCommand));
  restoreOptions(
    validate
      .command("restore")
      .description("the checks of `kbackup restore` of a recovery point with the same options")
      .argument("<recoveryPointId>", "the recovery point, or latest"),
    false,
  ).action(run(validateRestoreCommand));

  program
    .command("list")
    .description("list the vault's backup instances, or recovery points")
    .argument("[what]", "instances (default) or recovery-points")
    .option("--instance <name>", "recovery points of this instance only")
    .action(run(listCommand));

  program
    .command("jobs")
    .description("list jobs, newest first")
    .option("--instance <name>", "jobs of this instance (repeatable)", repeatedOption)
    .option("--operation <operation>", "Backup or Restore (repeatable)", repeatedOption)
    .option("--status <status>", "InProgress, Completed, CompletedWithWarnings, Failed or Cancelled (repeatable)", repeatedOption)
    .option("--since <time>", "started at or after: an ISO time, or a duration ago such as 7d")
    .option("--until <time>", "started before: an ISO time, or a duration ago")
    .option("--limit <n>", "at most this many (default 50)")
    .option("--all", "every job that matches")
    .option("--csv", "every job that matches, as CSV (RFC 4180)")
    .action(run(jobsCommand));

  program
    .command("verify")
    .description("check recovery points' manifests and archive checksums")
    .option("--instance <name>", "this instance only (default: every instance)")
    .option("--recovery-point <id>", "an id, latest (default) or all")
    .option("--data-store <store>", "OperationalStore or VaultStore only")
    .action(run(verifyCommand));

  program
    .command("report")
    .description("protection, compliance findings and usage; --html writes a page with charts")
    .option("--html <file>", "also write a self-contained HTML report")
    .option("--grace <duration>", "how late a backup may be before it is overdue (default 1h)")
    .option("--title <text>", "the HTML report's title")
    .action(run(reportCommand));

  program
    .command("cost")
    .description("estimate the monthly cost per instance")
    .option("--prices <file>", "a JSON price table (without it: an example table, not real prices)")
    .action(run(costCommand));

  return program;
}
