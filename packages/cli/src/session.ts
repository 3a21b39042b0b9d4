import { BackupCenter, BackupVault, KBackupError, isKBackupError, type ClusterClient, type ObjectStore, type SnapshotProvider, type VaultBindings, type VaultSettingsInput } from "@kbackup/core";
import type { CliIo } from "./cli-io.js";
import { openStore } from "./store-url.js";

/** The options every command takes. */
export interface GlobalOptions {
  store?: string;
  vault: string;
  kubeconfig?: string;
  context?: string;
  connectionString?: string;
  json?: boolean;
  progress?: boolean;
}

/** A cluster the session opened, and what to call when the command ends. */
interface OpenCluster {
  client: ClusterClient;
  close(): void;
}

/** What `openVault` needs to find a vault's live objects: the cluster of this command, when it has one. */
export interface VaultOpenOptions {
  /** Make the vault when the store has none (with these settings). */
  createWith?: VaultSettingsInput;
  /** The protected cluster and its snapshot provider, for backups and same-cluster restores. */
  cluster?: ClusterClient;
  snapshotProvider?: SnapshotProvider;
}

/**
 * One run of a command: the global options, the store, the clusters and the vault it opens, each
 * made once and closed at the end. The store holds the vault's catalogue and the operational copies
 * of its recovery points (`operationalStores.default`).
 */
export class Session {
  private storePromise: Promise<ObjectStore> | undefined;
  private readonly clusters = new Map<string, Promise<OpenCluster>>();

  constructor(
    readonly io: CliIo,
    readonly options: GlobalOptions,
  ) {}

  /** True when human output should show progress bars. */
  get showsProgress(): boolean {
    return this.options.progress !== false && this.options.json !== true && this.io.stdout.isTTY === true;
  }

  /** How wide a line of a table may be: the terminal's width, else 100 columns. */
  get width(): number {
    return Math.max(60, this.io.stdout.columns ?? 100);
  }

  /** The store `--store` (or `KBACKUP_STORE`) names. */
  store(): Promise<ObjectStore> {
    this.storePromise ??= openStore(this.options.store ?? this.io.env.KBACKUP_STORE ?? "", this.io.cwd, this.io.env, this.options.connectionString);
    return this.storePromise;
  }

  /** A cluster client from a kubeconfig and context (the global ones when not given); closed with the session. */
  async cluster(kubeconfig = this.options.kubeconfig, context = this.options.context): Promise<ClusterClient> {
    const key = JSON.stringify([kubeconfig ?? null, context ?? null]);
    let open = this.clusters.get(key);
    if (!open) {
      open = (async () => {
        const { KubernetesCluster } = await import("@kbackup/adapter-kubernetes");
        const client = new KubernetesCluster({ ...(kubeconfig ? { kubeConfig: { path: kubeconfig } } : {}), ...(context ? { context } : {}) });
        return { client, close: () => client.close() };
      })();
      this.clusters.set(key, open);
    }
    return (await open).client;
  }

  /** The CSI snapshot provider of a cluster this session opened. */
  async snapshotProvider(cluster: ClusterClient, workNamespace?: string): Promise<SnapshotProvider> {
    const { CsiSnapshotProvider } = await import("@kbackup/adapter-kubernetes");
    return new CsiSnapshotProvider(cluster, workNamespace ? { workNamespace } : {});
  }

  /**
   * Opens the vault `--vault` names in the store, or makes it when `createWith` is given and the store
   * has none. Instances of `options.cluster`'s cluster get it and its snapshot provider.
   * @throws NotFound, with what to do, when the store has no such vault and none is to be made.
   */
  async openVault(options: VaultOpenOptions = {}): Promise<BackupVault> {
    const found = await this.findVault(options);
    if (found) return found;
    const name = this.options.vault;
    if (!options.createWith) {
      throw new KBackupError("NotFound", `The store holds no vault named ${name}: \`kbackup backup\` makes it on first use (or pass the --vault that holds your backups).`, { field: "--vault" });
    }
    const store = await this.store();
    const bindings = this.bindings(store, options);
    try {
      return await BackupVault.create(store, { name, ...options.createWith, ...bindings });
    } catch (error) {
      // Another process made it in between: use theirs.
      if (isKBackupError(error, "AlreadyExists")) return BackupVault.open(store, { name, ...bindings });
      throw error;
    }
  }

  /**
   * Opens the vault `--vault` names in the store, as {@link openVault} does; undefined when the store
   * has none (nothing is made).
   */
  async findVault(options: Omit<VaultOpenOptions, "createWith"> = {}): Promise<BackupVault | undefined> {
    const store = await this.store();
    try {
      return await BackupVault.open(store, { name: this.options.vault, ...this.bindings(store, options) });
    } catch (error) {
      if (isKBackupError(error, "NotFound") && error.field === "name") return undefined;
      throw error;
    }
  }

  /** What the vault is given to find its instances' live objects: the store, and this command's cluster. */
  private bindings(store: ObjectStore, options: Omit<VaultOpenOptions, "createWith">): VaultBindings {
    const { cluster, snapshotProvider } = options;
    return {
      operationalStores: { default: store },
      ...(cluster ? { clusters: [cluster] } : {}),
      ...(snapshotProvider ? { snapshotProviders: (reference) => (reference.cluster.name === cluster?.identity.name ? snapshotProvider : undefined) } : {}),
    };
  }

  /** A backup center over the vault, read. */
  async center(vault: BackupVault): Promise<BackupCenter> {
    const center = new BackupCenter({ vaults: [vault], alertsSince: new Date(0) });
    await center.refresh();
    return center;
  }

  /** Writes a line (or lines) to standard output. */
  print(text = ""): void {
    this.io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Writes a value as indented JSON to standard output. */
  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Writes a note to standard error (kept out of what scripts read). */
  note(text: string): void {
    this.io.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Closes the clusters the session opened. */
  async close(): Promise<void> {
    for (const open of this.clusters.values()) {
      try {
        (await open).close();
      } catch {
        // A cluster that failed to open has nothing to close.
      }
    }
  }
}
