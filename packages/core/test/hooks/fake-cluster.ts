import {
  KBackupError,
  abortedError,
  objectPath,
  type ClusterClient,
  type ExecOptions,
  type ExecResult,
  type KubeObject,
  type ObjectLocation,
  type ResourceRef,
  type WaitForContainerOptions,
} from "@kbackup/core";

/** One call to `exec`, as the fake saw it. */
export interface ExecCall {
  pod: string;
  container: string;
  argv: string[];
  options: ExecOptions;
}

export type ExecHandler = (call: ExecCall) => ExecResult | Promise<ExecResult>;
export type WaitHandler = (pod: string, container: string, options: WaitForContainerOptions) => void | Promise<void>;

const ok: ExecResult = { exitCode: 0, stdout: "", stderr: "" };

/**
 * A ClusterClient that only gets objects, execs and waits: enough for hooks. `exec` and
 * `waitForContainer` call the handlers the test sets, and record each call.
 */
export class FakeCluster implements ClusterClient {
  readonly identity = { name: "fake" };
  readonly capabilities = { exec: true, strategicMergePatch: false };
  readonly execCalls: ExecCall[] = [];
  readonly waitCalls: Array<{ pod: string; container: string; options: WaitForContainerOptions }> = [];
  readonly getCalls: Array<{ resource: ResourceRef; name: string; namespace?: string }> = [];
  /** Every event in order: `exec pod container argv...`, `wait pod container`, and what tests add. */
  readonly events: string[] = [];
  execHandler: ExecHandler = () => ok;
  waitHandler: WaitHandler = () => undefined;
  private readonly objects = new Map<string, KubeObject>();

  /** Makes `get` return `object` for `resource`. */
  put(resource: ResourceRef, object: KubeObject): void {
    this.objects.set(key(resource, object.metadata.name ?? "", object.metadata.namespace), object);
  }

  async get(resource: ResourceRef, name: string, options: { namespace?: string } = {}): Promise<KubeObject | undefined> {
    this.getCalls.push({ resource, name, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) });
    const object = this.objects.get(key(resource, name, options.namespace));
    return object === undefined ? undefined : structuredClone(object);
  }

  async exec(pod: ObjectLocation, container: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (options.abortSignal?.aborted) throw abortedError(options.abortSignal);
    const call: ExecCall = { pod: objectPath(pod), container, argv: [...argv], options };
    this.execCalls.push(call);
    this.events.push(`exec ${call.pod} ${container} ${argv.join(" ")}`);
    return this.execHandler(call);
  }

  async waitForContainer(pod: ObjectLocation, container: string, options: WaitForContainerOptions): Promise<void> {
    this.waitCalls.push({ pod: objectPath(pod), container, options });
    this.events.push(`wait ${objectPath(pod)} ${container}`);
    return this.waitHandler(objectPath(pod), container, options);
  }

  discover(): never {
    throw unsupported("discover");
  }
  list(): never {
    throw unsupported("list");
  }
  create(): never {
    throw unsupported("create");
  }
  patch(): never {
    throw unsupported("patch");
  }
  replace(): never {
    throw unsupported("replace");
  }
  delete(): never {
    throw unsupported("delete");
  }
}

/** Resolves once `signal` fires, rejecting with Aborted as a well-behaved client does. */
export function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) return reject(abortedError(signal));
    signal.addEventListener("abort", () => reject(abortedError(signal)), { once: true });
  });
}

export interface PodSpec {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers?: string[];
  phase?: string;
  claims?: string[];
}

/** A pod in `namespace`, running its containers (default one container `app`). */
export function pod(namespace: string, name: string, spec: PodSpec = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      ...(spec.labels ? { labels: spec.labels } : {}),
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
    },
    spec: {
      containers: (spec.containers ?? ["app"]).map((container) => ({ name: container, image: "example/image:1" })),
      volumes: (spec.claims ?? []).map((claimName) => ({ name: claimName, persistentVolumeClaim: { claimName } })),
    },
    status: { phase: spec.phase ?? "Running" },
  };
}

function key(resource: ResourceRef, name: string, namespace: string | undefined): string {
  return `${resource.group}/${resource.resource}/${namespace ?? ""}/${name}`;
}

function unsupported(method: string): KBackupError {
  return new KBackupError("Unsupported", `FakeCluster does not implement ${method}`);
}
