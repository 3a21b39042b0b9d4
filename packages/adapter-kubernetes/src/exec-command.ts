import { abortedError, KBackupError, objectPath, type ExecResult } from "@kbackup/core";
import { Exec, type KubeConfig, type V1Status } from "@kubernetes/client-node";
import { BoundedOutput } from "./bounded-output.js";
import { codeOfHttpStatus } from "./kube-errors.js";

/** The remote command subprotocols whose status channel the client reads. */
const SPOKEN_PROTOCOLS = new Set(["v5.channel.k8s.io", "v4.channel.k8s.io"]);

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** The command is stopped with `Timeout` after this long; 0 for no limit. */
  timeoutInMs: number;
  /** Bytes kept of stdout and of stderr each (the last ones). */
  maxOutputBytes: number;
  /** Stops the command, failing with `Aborted`. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `argv` in a container over the `pods/exec` WebSocket (`v5.channel.k8s.io`, else
 * `v4.channel.k8s.io`) and returns the exit code from the status channel (its `ExitCode` cause)
 * with the last `maxOutputBytes` of stdout and stderr. Closing the socket stops the command: after
 * `timeoutInMs` (then `Timeout`) or on abort (`Aborted`). A refused upgrade maps its HTTP status
 * (403 PermissionDenied, 404 NotFound, ...); a socket that closes without a status is `Unavailable`.
 */
export async function runCommand(kubeConfig: KubeConfig, pod: { namespace: string; name: string }, container: string, argv: readonly string[], options: RunCommandOptions): Promise<ExecResult> {
  const stdout = new BoundedOutput(options.maxOutputBytes);
  const stderr = new BoundedOutput(options.maxOutputBytes);
  const where = `container "${container}" of pod ${objectPath(pod)}`;
  let settle: { resolve: (status: V1Status) => void; reject: (error: KBackupError) => void } | undefined;
  const finished = new Promise<V1Status>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const socket = await new Exec(kubeConfig)
    .exec(pod.namespace, pod.name, container, [...argv], stdout, stderr, null, false, (status) => settle?.resolve(status))
    .catch((error: unknown) => {
      throw upgradeError(error, where);
    });
  const stop = (error: KBackupError) => {
    settle?.reject(error);
    socket.close();
  };
  if (!SPOKEN_PROTOCOLS.has(socket.protocol)) {
    socket.close();
    throw new KBackupError("Unsupported", `The API server chose the exec subprotocol "${socket.protocol}"; only v5.channel.k8s.io and v4.channel.k8s.io are spoken.`);
  }
  socket.on("close", () => settle?.reject(new KBackupError("Unavailable", `The exec connection to ${where} closed before the command's status came.`)));
  const timer =
    options.timeoutInMs > 0
      ? setTimeout(() => stop(new KBackupError("Timeout", `The command ${JSON.stringify(argv)} in ${where} was stopped after ${options.timeoutInMs} ms.`)), options.timeoutInMs)
      : undefined;
  const onAbort = () => stop(abortedError(options.signal));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const status = await finished;
    return { exitCode: exitCodeOf(status, where), stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** The exit code a status channel's `Status` reports; a failure of another reason is an error. */
function exitCodeOf(status: V1Status, where: string): number {
  if (status.status === "Success") return 0;
  const cause = status.details?.causes?.find((candidate) => candidate.reason === "ExitCode");
  const exitCode = Number(cause?.message);
  if (status.reason === "NonZeroExitCode" && Number.isInteger(exitCode)) return exitCode;
  throw new KBackupError("Adapter", `The command in ${where} failed to run: ${status.message ?? status.reason ?? "unknown error"}`, {
    details: { reason: status.reason },
  });
}

/** The error for a refused or failed WebSocket upgrade, from the HTTP status the socket library reports. */
function upgradeError(error: unknown, where: string): KBackupError {
  const message = (error as { message?: unknown })?.message;
  const text = typeof message === "string" ? message : String(error);
  const status = /Unexpected server response: (\d{3})/.exec(text)?.[1];
  const code = status === undefined ? "Unavailable" : codeOfHttpStatus(Number(status), undefined);
  return new KBackupError(code, `Could not start a command in ${where}: ${text}`, { cause: error, ...(status === undefined ? {} : { details: { httpStatus: Number(status) } }) });
}
