/** Where `kbackup` writes, and what it reads of its environment: the process's by default, a test's in tests. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
  /** The environment variables (credentials, defaults). */
  env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths are resolved from. */
  cwd: string;
}

/** The running process's streams, environment and directory. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
