import { createHash } from "node:crypto";
import { KBackupError, invalidArgument, isKBackupError } from "../errors.js";
import type { BackupJob } from "../jobs/job.js";
import { validateBackupPolicy, type BackupPolicy } from "../policy/index.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import { systemClock, type Clock } from "../ports/clock.js";
import { silentLogger, type Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import { backupPreflight } from "../preflight/backup-preflight.js";
import type { PreflightFinding } from "../preflight/findings.js";
import { policyUsesVaultStore } from "../preflight/policy-vault-tier.js";
import { refuseOnPreflightErrors } from "../preflight/preflight-refusal.js";
import { dns1123LabelProblem, parseBackupDatasourceParameters, type KubernetesClusterBackupDatasourceParameters } from "../selection/index.js";
import { BackupInstance } from "./backup-instance.js";
import { CATALOGUE_FORMAT_VERSION, catalogueKeys, type CatalogueKeys, type InstanceRecord, type PolicyRecord, type VaultRecord } from "./catalogue-records.js";
import { InProcessObjectStore } from "./in-process-store.js";
import { InstanceHandle, type VaultContext } from "./instance-handle.js";
import { JobRecorder } from "./job-recorder.js";
import { createJson, listKeys, readJson, replaceJson, updateJson } from "./json-objects.js";
import { runDue, type RunDueOptions, type RunDueResult } from "./run-due.js";
import { resolveBinding, type ResolvedBinding, type VaultBindings } from "./vault-bindings.js";
import type { KeyProvider } from "../repository/key-provider.js";
import type { GarbageCollectionReport } from "../repository/garbage-collection.js";
import { RepositoryVaultCopier } from "../vault-tier/repository-vault-copier.js";
import { ObjectStoreVaultCopier, type VaultCopier, type VaultGarbageCollectionOptions } from "./vault-copier.js";
import { checkSettingsChange, resolveVaultSettings, type VaultSettings, type VaultSettingsInput } from "./vault-settings.js";

export type { VaultDataStore } from "./catalogue-records.js";
export type { InstanceReference, VaultBindings } from "./vault-bindings.js";
export type { VaultCopier, VaultCopy, VaultCopyInfo, VaultCopySource, VaultCopyTransfer, VaultGarbageCollectionOptions } from "./vault-copier.js";
export { ObjectStoreVaultCopier } from "./vault-copier.js";
export type { RunDueOptions, RunDueResult } from "./run-due.js";
export type { RecoveryPointDataStoreDetails, RecoveryPointInfo } from "./retention-points.js";
export { RETENTION_TAG_KEY } from "./take-backup.js";
export { dueSlot, type DueSlot } from "./due-slot.js";
export * from "./protection-state.js";
export * from "./vault-settings.js";

/** Options of `new BackupVault(...)`: a vault whose catalogue lives in this process only. */
export interface BackupVaultOptions extends VaultSettingsInput, VaultBindings {
  /** The vault's name: lower-case letters, digits and `-`. */
  name: string;
  clock?: Clock;
  logger?: Logger;
  /** Uncommitted backups older than this are collected before each backup; 1 hour by default. */
  abandonAfterInMs?: number;
}

/** Where a persistent vault keeps its vault-store copies. */
export interface VaultStoreOptions {
  /** The object store of the vault tier; the vault's own store by default. */
  vaultStore?: ObjectStore;
  /** How copies reach the vault tier; by default an {@link ObjectStoreVaultCopier} over `vaultStore`. */
  vaultCopier?: VaultCopier;
  /**
   * Keeps the vault store's copies in a deduplicating, compressed and encrypted repository under
   * `vaults/<name>/vault-repository/` of `vaultStore`, its key wrapped by this provider (a
   * {@link RepositoryVaultCopier}, volume data included); without it they are plain objects (an
   * {@link ObjectStoreVaultCopier}). Ignored when `vaultCopier` is given.
   */
  vaultKeyProvider?: KeyProvider;
}

/** The copier `vaultKeyProvider` asks for, or the one given; undefined for the default. */
function vaultCopierOf(name: string, store: ObjectStore, options: VaultStoreOptions & { clock?: Clock; logger?: Logger }): VaultCopier | undefined {
  if (options.vaultCopier || !options.vaultKeyProvider) return options.vaultCopier;
  return new RepositoryVaultCopier(options.vaultStore ?? store, {
    keyProvider: options.vaultKeyProvider,
    prefix: catalogueKeys(name).vaultRepository,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

/** Options of {@link BackupVault.create}. */
export interface CreateBackupVaultOptions extends BackupVaultOptions, VaultStoreOptions, OperationOptions {}

/** Options of {@link BackupVault.open}: the vault's name, and how to find the live objects of its instances. */
export interface OpenBackupVaultOptions extends VaultBindings, VaultStoreOptions, OperationOptions {
  name: string;
  clock?: Clock;
  logger?: Logger;
  abandonAfterInMs?: number;
}

/** Options of {@link BackupVault.protect} and {@link BackupVault.validateForProtection}. */
export interface ProtectOptions extends OperationOptions {
  /** The backup instance's name: lower-case letters, digits and `-`. */
  name: string;
  cluster: ClusterClient;
  snapshotProvider?: SnapshotProvider;
  /** Where recovery points go (the operational tier). */
  operationalStore: ObjectStore;
  /** The name `open`'s `operationalStores` resolver will be asked for; `default` by default. */
  operationalStoreName?: string;
  /** Azure's `KubernetesClusterBackupDatasourceParameters`. */
  datasourceParameters: unknown;
  /** The vault policy that schedules and retains the backups; none for an instance backed up on demand only. */
  policyName?: string;
  /**
   * Protect without the preflight checks of {@link BackupVault.validateForProtection}, which
   * otherwise refuse (PreconditionFailed) when they find an Error.
   */
  skipValidation?: boolean;
}

/** What `protect` made of its options, checked. */
interface CheckedProtectOptions {
  name: string;
  operationalStoreName: string;
  datasourceParameters: KubernetesClusterBackupDatasourceParameters;
  policy: BackupPolicy | undefined;
}

/** A policy of the vault, by name. */
export interface NamedPolicy {
  name: string;
  policy: BackupPolicy;
}

interface Setup {
  store: ObjectStore;
  settings: VaultSettings;
  copier: VaultCopier | undefined;
  vaultStore: ObjectStore | undefined;
  persistent: boolean;
}

// Only create() and open() know it, so that the public constructor keeps making in-process vaults.
const SETUP = Symbol("setup");

const STORE_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const POLICY_NAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,148}[A-Za-z0-9])?$/;

function checkName(field: string, value: unknown): string {
  const problem = dns1123LabelProblem(typeof value === "string" ? value : "");
  if (problem) throw invalidArgument(field, problem);
  return value as string;
}

/**
 * A backup vault: its policies, its protected instances with their recovery points, their jobs, and
 * the scheduler that takes backups and applies retention. `new BackupVault(...)` keeps all of it in
 * this process; {@link BackupVault.create} and {@link BackupVault.open} keep it in an object store,
 * shared safely by any number of processes.
 */
export class BackupVault {
  readonly name: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: ObjectStore;
  private readonly keys: CatalogueKeys;
  private readonly jobs: JobRecorder;
  private readonly copier: VaultCopier;
  /** The vault store's object store, when the vault knows it (not with only a custom copier). */
  private readonly vaultStore: ObjectStore | undefined;
  private readonly bindings: VaultBindings;
  private readonly abandonAfterInMs: number;
  private readonly context: VaultContext;
  private readonly ready: Promise<void>;
  private cachedSettings: VaultSettings;
  private readonly policies = new Map<string, BackupPolicy>();
  private readonly instances = new Map<string, BackupInstance>();
  private readonly handles = new Map<string, InstanceHandle>();
  /** The live objects `protect` was given, which win over the resolvers. */
  private readonly protectedBindings = new Map<string, ResolvedBinding>();

  /**
   * A vault kept in this process only (nothing survives it). For a vault that persists, use
   * {@link BackupVault.create} and {@link BackupVault.open}.
   * @throws InvalidArgument for a bad name or settings.
   */
  constructor(options: BackupVaultOptions) {
    this.name = checkName("name", options?.name);
    const setup = (options as { [SETUP]?: Setup })[SETUP];
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.abandonAfterInMs = options.abandonAfterInMs ?? 60 * 60 * 1000;
    this.bindings = { ...(options.clusters ? { clusters: options.clusters } : {}), ...(options.snapshotProviders ? { snapshotProviders: options.snapshotProviders } : {}), ...(options.operationalStores ? { operationalStores: options.operationalStores } : {}) };
    this.store = setup?.store ?? new InProcessObjectStore();
    this.keys = catalogueKeys(this.name);
    this.cachedSettings = setup?.settings ?? resolveVaultSettings(options);
    this.vaultStore = setup?.vaultStore ?? (setup?.copier ? undefined : this.store);
    this.copier = setup?.copier ?? new ObjectStoreVaultCopier(setup?.vaultStore ?? this.store, this.keys.vaultStore, this.clock);
    this.jobs = new JobRecorder(this.store, this.keys.jobs, this.name, this.clock);
    this.ready = setup?.persistent ? Promise.resolve() : createJson(this.store, this.keys.vault, this.vaultRecord()).then(() => undefined);
    this.ready.catch(() => undefined);
    this.context = {
      name: this.name,
      store: this.store,
      keys: this.keys,
      clock: this.clock,
      logger: this.logger,
      jobs: this.jobs,
      copier: this.copier,
      ...(this.vaultStore ? { vaultStore: this.vaultStore } : {}),
      abandonAfterInMs: this.abandonAfterInMs,
      settings: (abortSignal) => this.readSettings(abortSignal),
      policy: (name, abortSignal) => this.loadPolicy(name, abortSignal),
      forget: (name) => {
        this.instances.delete(name);
        this.handles.delete(name);
        this.protectedBindings.delete(name);
      },
    };
  }

  /**
   * Creates a vault whose catalogue (settings, policies, instances, recovery points, jobs) lives in
   * `store` under `vaults/<name>/`, with the given settings on top of the defaults.
   * @throws InvalidArgument for a bad name or settings; Unsupported when the store cannot make
   *   conditional writes; AlreadyExists when the store already holds a vault of that name.
   */
  static async create(store: ObjectStore, options: CreateBackupVaultOptions): Promise<BackupVault> {
    const name = checkName("name", options?.name);
    BackupVault.checkStore(store);
    const settings = resolveVaultSettings(options);
    const vault = new BackupVault({ ...options, [SETUP]: { store, settings, copier: vaultCopierOf(name, store, options), vaultStore: options.vaultStore, persistent: true } } as BackupVaultOptions);
    try {
      await createJson(store, catalogueKeys(name).vault, vault.vaultRecord(), options.abortSignal);
    } catch (error) {
      if (isKBackupError(error, "AlreadyExists")) throw new KBackupError("AlreadyExists", `The store already holds a vault named ${name}.`, { field: "name", cause: error });
      throw error;
    }
    return vault;
  }

  /**
   * Opens a vault that {@link BackupVault.create} made in `store`, in this process or another: every
   * policy, instance, recovery point and job is read back. The live objects of each instance (its
   * cluster, snapshot provider and operational store) come from the resolvers in `options`, which are
   * asked with what the instance recorded (see {@link VaultBindings}).
   * @throws NotFound when the store holds no vault of that name; Unsupported when the store cannot
   *   make conditional writes.
   */
  static async open(store: ObjectStore, options: OpenBackupVaultOptions): Promise<BackupVault> {
    const name = checkName("name", options?.name);
    BackupVault.checkStore(store);
    const record = await readJson<VaultRecord>(store, catalogueKeys(name).vault, options.abortSignal);
    if (!record) throw new KBackupError("NotFound", `The store holds no vault named ${name}.`, { field: "name" });
    const vault = new BackupVault({ ...options, [SETUP]: { store, settings: record.value.settings, copier: vaultCopierOf(name, store, options), vaultStore: options.vaultStore, persistent: true } } as BackupVaultOptions);
    await vault.refresh(options);
    return vault;
  }

  private static checkStore(store: ObjectStore): void {
    if (!store || typeof store.put !== "function") throw invalidArgument("store", "an ObjectStore is required");
    if (!store.capabilities.conditionalWrites) {
      throw new KBackupError("Unsupported", "A vault's store must support conditional writes (ifMatch, ifNoneMatch), so that processes sharing it never overwrite each other.", { field: "store" });
    }
  }

  private vaultRecord(): VaultRecord {
    return { formatVersion: CATALOGUE_FORMAT_VERSION, name: this.name, createdAt: this.clock.now().toISOString(), settings: this.cachedSettings };
  }

  /** The vault's settings as last read by this process (see {@link refresh}); a copy. */
  get settings(): VaultSettings {
    return structuredClone(this.cachedSettings);
  }

  private async readSettings(abortSignal?: AbortSignal): Promise<VaultSettings> {
    await this.ready;
    const record = await readJson<VaultRecord>(this.store, this.keys.vault, abortSignal);
    if (!record) throw new KBackupError("NotFound", `The vault ${this.name} no longer exists in its store.`);
    this.cachedSettings = record.value.settings;
    return structuredClone(record.value.settings);
  }

  /**
   * Changes the vault's settings; what `changes` leaves out keeps its value. Returns the settings now.
   * @throws InvalidArgument for bad settings; PermissionDenied when soft delete would leave AlwaysOn,
   *   immutability leave Locked, cross-region restore be disabled or cross-subscription restore leave
   *   PermanentlyDisabled; Conflict when the storage settings change while instances are protected.
   */
  async updateSettings(changes: VaultSettingsInput, options: OperationOptions = {}): Promise<VaultSettings> {
    await this.ready;
    resolveVaultSettings(changes, this.cachedSettings);
    const hasInstances = (await listKeys(this.store, this.keys.instances, options.abortSignal)).length > 0;
    const updated = await updateJson<VaultRecord>(this.store, this.keys.vault, (record) => {
      const next = resolveVaultSettings(changes, record.settings);
      checkSettingsChange(record.settings, next, hasInstances);
      record.settings = next;
    }, options.abortSignal);
    this.cachedSettings = updated.value.settings;
    return structuredClone(updated.value.settings);
  }

  /**
   * Adds a backup policy in Azure's shape (the bare policy or Azure's resource envelope, as
   * `validateBackupPolicy` takes them) under `name`. Policies are not changed once made: protect with
   * a new one instead. Returns the policy as validated.
   * @throws InvalidArgument for a bad name or policy (every fault listed); AlreadyExists when the name is taken.
   */
  async createPolicy(name: string, policy: unknown, options: OperationOptions = {}): Promise<BackupPolicy> {
    if (typeof name !== "string" || !POLICY_NAME.test(name)) throw invalidArgument("name", "a policy name is 1 to 150 letters, digits, `-` and `_`, starting and ending with a letter or digit");
    const validated = validateBackupPolicy(policy);
    await this.ready;
    const record: PolicyRecord = { formatVersion: CATALOGUE_FORMAT_VERSION, name, createdAt: this.clock.now().toISOString(), policy: validated };
    try {
      await createJson(this.store, this.keys.policy(name), record, options.abortSignal);
    } catch (error) {
      if (isKBackupError(error, "AlreadyExists")) throw new KBackupError("AlreadyExists", `The vault ${this.name} already has a policy named ${name}.`, { field: "name", cause: error });
      throw error;
    }
    this.policies.set(name, validated);
    return structuredClone(validated);
  }

  /** A copy of the policy named `name`; undefined when this process knows none (see {@link refresh}). */
  getPolicy(name: string): BackupPolicy | undefined {
    const policy = this.policies.get(name);
    return policy && structuredClone(policy);
  }

  /** Every policy this process knows, by name. */
  listPolicies(): NamedPolicy[] {
    return [...this.policies].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, policy]) => ({ name, policy: structuredClone(policy) }));
  }

  private async loadPolicy(name: string, abortSignal?: AbortSignal): Promise<BackupPolicy> {
    const known = this.policies.get(name);
    if (known) return known;
    await this.ready;
    const record = await readJson<PolicyRecord>(this.store, this.keys.policy(name), abortSignal);
    if (!record) throw new KBackupError("NotFound", `The vault ${this.name} has no policy named ${name}.`, { field: "policyName" });
    const policy = validateBackupPolicy(record.value.policy);
    this.policies.set(name, policy);
    return policy;
  }

  /**
   * Protects a cluster: checks the arguments, runs the preflight checks of
   * {@link validateForProtection} (unless `skipValidation`), and creates its backup instance,
   * configured for protection from now on (its first scheduled backup is the policy's next
   * scheduled time).
   * @throws InvalidArgument for a bad argument (before anything is written); NotFound for an unknown
   *   policy; PreconditionFailed when the preflight checks find Errors (all of them in the message
   *   with their remedies, and every finding in `details.findings`); AlreadyExists when the name is
   *   taken, or when the vault already protects the same cluster (identity name and id) with the
   *   same policy.
   */
  async protect(options: ProtectOptions): Promise<BackupInstance> {
    const { name, operationalStoreName, datasourceParameters, policy } = await this.checkProtectOptions(options);
    await this.ready;
    const { abortSignal } = options;
    // A taken name is told before the preflight checks, which would otherwise run for nothing.
    if (await this.store.head(this.keys.instance(name), { abortSignal })) throw this.nameTaken(name);
    if (options.skipValidation !== true) refuseOnPreflightErrors(`Protecting ${options.cluster.identity.name} as ${name}`, await this.protectionFindings(options, name, datasourceParameters, policy));
    const identity = { ...options.cluster.identity };
    const now = this.clock.now().toISOString();
    const hash = createHash("sha256").update(JSON.stringify([identity.name, identity.id ?? "", options.policyName ?? ""])).digest("hex").slice(0, 32);
    const record: InstanceRecord = {
      formatVersion: CATALOGUE_FORMAT_VERSION,
      name,
      createdAt: now,
      cluster: identity,
      operationalStoreName,
      storePrefix: this.storePrefixOf(name),
      ...(options.snapshotProvider ? { snapshotProviderName: options.snapshotProvider.name } : {}),
      datasourceParameters,
      ...(options.policyName !== undefined ? { policyName: options.policyName } : {}),
      protectedClusterKey: this.keys.protectedCluster(hash),
      currentProtectionState: "ProtectionConfigured",
      schedule: { from: now, missedSlotCount: 0, lastMissedSlots: [] },
      recoveryPoints: [],
    };
    const claimEtag = await this.claimCluster(record, abortSignal);
    try {
      await createJson(this.store, this.keys.instance(name), record, abortSignal);
    } catch (error) {
      await this.store.delete(record.protectedClusterKey, { ifMatch: claimEtag }).catch(() => undefined);
      if (isKBackupError(error, "AlreadyExists")) throw this.nameTaken(name, error);
      throw error;
    }
    const binding: ResolvedBinding = {
      cluster: options.cluster,
      operationalStore: options.operationalStore,
      ...(options.snapshotProvider ? { snapshotProvider: options.snapshotProvider } : {}),
    };
    this.protectedBindings.set(name, binding);
    return this.track(record).instance;
  }

  /**
   * The preflight checks `protect` runs, writing nothing but store probes (a create-only object
   * under `<instance folder>preflight/`, deleted at once): the cluster answers and can be listed;
   * the selection compiles and its included namespaces exist; the cluster allows what backups need
   * (`list` and `get` on every type backed up; reading the hooks and exec into pods when hooks are
   * referenced); the backup hooks referenced exist and parse; the volumes that would be backed up
   * without their data (Warnings); the operational store, and the vault store when the policy uses
   * it, answer and take writes; the vault store backs the vault's redundancy and immutability
   * (Warnings). Returns every finding, Errors first (see `PREFLIGHT_FINDING_CODES`).
   * @throws InvalidArgument for a bad argument, NotFound for an unknown policy, as `protect`.
   */
  async validateForProtection(options: ProtectOptions): Promise<PreflightFinding[]> {
    const { name, datasourceParameters, policy } = await this.checkProtectOptions(options);
    await this.ready;
    return this.protectionFindings(options, name, datasourceParameters, policy);
  }

  private async checkProtectOptions(options: ProtectOptions): Promise<CheckedProtectOptions> {
    const name = checkName("name", options?.name);
    if (!options.cluster) throw invalidArgument("cluster", "a ClusterClient is required");
    if (!options.operationalStore) throw invalidArgument("operationalStore", "an ObjectStore is required");
    const operationalStoreName = options.operationalStoreName ?? "default";
    if (typeof operationalStoreName !== "string" || !STORE_NAME.test(operationalStoreName)) {
      throw invalidArgument("operationalStoreName", "a store name is 1 to 63 lower-case letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit");
    }
    const datasourceParameters = parseBackupDatasourceParameters(options.datasourceParameters);
    let policy: BackupPolicy | undefined;
    if (options.policyName !== undefined) {
      if (typeof options.policyName !== "string" || !POLICY_NAME.test(options.policyName)) throw invalidArgument("policyName", "not a policy name");
      policy = await this.loadPolicy(options.policyName, options.abortSignal);
    }
    return { name, operationalStoreName, datasourceParameters, policy };
  }

  private async protectionFindings(options: ProtectOptions, name: string, parameters: KubernetesClusterBackupDatasourceParameters, policy: BackupPolicy | undefined): Promise<PreflightFinding[]> {
    const { abortSignal } = options;
    const usesVault = policy !== undefined && policyUsesVaultStore(policy);
    return backupPreflight(
      {
        cluster: options.cluster,
        clusterName: options.cluster.identity.name,
        ...(options.snapshotProvider ? { snapshotProvider: options.snapshotProvider } : {}),
        operationalStore: options.operationalStore,
        operationalPrefix: this.storePrefixOf(name),
        parameters,
        ...(usesVault ? { vaultStore: { store: this.vaultStore, prefix: `${this.keys.vaultStore}${name}/`, settings: await this.readSettings(abortSignal) } } : {}),
      },
      abortSignal ? { abortSignal } : {},
    );
  }

  private nameTaken(name: string, cause?: unknown): KBackupError {
    return new KBackupError("AlreadyExists", `The vault ${this.name} already has a backup instance named ${name}.`, { field: "name", ...(cause ? { cause } : {}) });
  }

  private storePrefixOf(instanceName: string): string {
    return this.setupIsPersistent() ? `vaults/${this.name}/backup-instances/${instanceName}/` : `backup-instances/${instanceName}/`;
  }

  private setupIsPersistent(): boolean {
    return !(this.store instanceof InProcessObjectStore);
  }

  /** Takes the create-only claim on a cluster and policy; a claim naming an instance that no longer exists is taken over. */
  private async claimCluster(record: InstanceRecord, abortSignal?: AbortSignal): Promise<string> {
    const claim = { formatVersion: CATALOGUE_FORMAT_VERSION, instanceName: record.name, cluster: record.cluster, policyName: record.policyName ?? null };
    try {
      return await createJson(this.store, record.protectedClusterKey, claim, abortSignal);
    } catch (error) {
      if (!isKBackupError(error, "AlreadyExists")) throw error;
      const held = await readJson<{ instanceName: string }>(this.store, record.protectedClusterKey, abortSignal);
      const holder = held && (await this.store.head(this.keys.instance(held.value.instanceName), { abortSignal }));
      if (held && !holder) return replaceJson(this.store, record.protectedClusterKey, claim, held.etag, abortSignal);
      const policy = record.policyName === undefined ? "without a policy" : `with policy ${record.policyName}`;
      throw new KBackupError("AlreadyExists", `The vault ${this.name} already protects cluster ${record.cluster.name} ${policy}, as backup instance ${held?.value.instanceName ?? "?"}.`, { field: "cluster", cause: error });
    }
  }

  private track(record: InstanceRecord): { instance: BackupInstance; handle: InstanceHandle } {
    const existing = this.handles.get(record.name);
    if (existing) {
      existing.adopt(record);
      return { instance: this.instances.get(record.name)!, handle: existing };
    }
    const binding =
      this.protectedBindings.get(record.name) ??
      resolveBinding(this.bindings, {
        instanceName: record.name,
        cluster: { ...record.cluster },
        operationalStoreName: record.operationalStoreName,
        ...(record.snapshotProviderName !== undefined ? { snapshotProviderName: record.snapshotProviderName } : {}),
      });
    const handle = new InstanceHandle(this.context, record, binding);
    const instance = new BackupInstance(handle);
    this.handles.set(record.name, handle);
    this.instances.set(record.name, instance);
    return { instance, handle };
  }

  /** The instance named `name` as this process knows it (soft-deleted ones included); undefined for none. */
  getInstance(name: string): BackupInstance | undefined {
    return this.instances.get(name);
  }

  /** Every instance this process knows (see {@link refresh}), soft-deleted ones included, by name. */
  listInstances(): BackupInstance[] {
    return [...this.instances.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A copy of a job this process knows; undefined for an unknown id. */
  getJob(jobId: string): BackupJob | undefined {
    return this.jobs.get(jobId);
  }

  /** Copies of the jobs this process knows, oldest first. */
  listJobs(): BackupJob[] {
    return this.jobs.list();
  }

  /** Reads the vault afresh: its settings, the policies, instances and jobs other processes made or changed. */
  async refresh(options: OperationOptions = {}): Promise<void> {
    const { abortSignal } = options;
    await this.readSettings(abortSignal);
    for (const key of await listKeys(this.store, this.keys.policies, abortSignal)) {
      const name = key.slice(this.keys.policies.length, -".json".length);
      if (!this.policies.has(name)) await this.loadPolicy(name, abortSignal);
    }
    const names = await this.instanceNames(abortSignal);
    for (const name of names) await this.readInstance(name, abortSignal);
    for (const name of [...this.instances.keys()]) if (!names.includes(name)) this.context.forget(name);
    await this.jobs.load(abortSignal);
  }

  private async instanceNames(abortSignal?: AbortSignal): Promise<string[]> {
    await this.ready;
    const keys = await listKeys(this.store, this.keys.instances, abortSignal);
    return keys.filter((key) => key.endsWith(".json")).map((key) => key.slice(this.keys.instances.length, -".json".length));
  }

  private async readInstance(name: string, abortSignal?: AbortSignal): Promise<InstanceHandle | undefined> {
    const read = await readJson<InstanceRecord>(this.store, this.keys.instance(name), abortSignal);
    if (!read) {
      this.context.forget(name);
      return undefined;
    }
    return this.track(read.value).handle;
  }

  /**
   * One tick of the scheduler, to be called at least as often as the policies' schedules run (every
   * few minutes, say). For every instance, read afresh:
   * - a soft-deleted instance past its purge time is purged (its recovery points, snapshots and
   *   record), as are soft-deleted recovery points past theirs;
   * - when protection is configured, the backup that is due by its policy's schedule is taken: the
   *   latest scheduled time at or before `now` not yet taken. Each slot is claimed with a create-only
   *   object, so two calls for the same slot, from one process or several, take one backup; after
   *   downtime one backup is taken and the slots missed are recorded on its job and on the instance;
   *   a failed backup is not retried before the next scheduled time. Suspended or stopped instances
   *   take none;
   * - unless protection is stopped, retention is applied: due copies to the vault store, then copies
   *   past their expiry deleted (an operational one with its volume snapshots).
   * Instances are worked on `concurrency` at a time; one instance's failure is reported in `errors`
   * and does not stop the others.
   * @throws InvalidArgument for a bad `now` or `concurrency`; Aborted when the signal fires (running
   *   backups are cancelled).
   */
  async runDue(options: RunDueOptions = {}): Promise<RunDueResult> {
    await this.ready;
    return runDue(
      {
        instanceNames: (abortSignal) => this.instanceNames(abortSignal),
        instance: (name, abortSignal) => this.readInstance(name, abortSignal),
      },
      { ...options, now: options.now ?? this.clock.now() },
    );
  }

  /**
   * Reclaims the vault store's space that no vault copy uses any more (copies deleted by retention or
   * by hand), through the vault copier's garbage collection: nothing younger than `safetyWindowInMs`
   * is removed, and nothing at all while a copy has been active within the window, so that a copy in
   * flight never loses data. Run it now and then (daily, say) with a window of a day or more. Resolves
   * with the report, or undefined when the copier shares nothing between copies (plain-object copies
   * free their space when deleted).
   * @throws InvalidArgument for a bad `safetyWindowInMs`.
   */
  async collectGarbage(options: VaultGarbageCollectionOptions): Promise<GarbageCollectionReport | undefined> {
    if (!Number.isSafeInteger(options?.safetyWindowInMs) || options.safetyWindowInMs < 0) throw invalidArgument("safetyWindowInMs", "must be a whole number of milliseconds >= 0");
    await this.ready;
    return this.copier.collectGarbage?.(options);
  }

  /** Releases what the vault copier holds (a repository's worker threads); it opens again on next use. */
  async close(): Promise<void> {
    await this.copier.close?.();
  }
}
