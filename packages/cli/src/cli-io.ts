/** Where `kbackup` writes, and what it reads of its environment: the process's by default, a test's in tests. */
export interface CliIo {
  /** Where results go; a progress bar is drawn on it only when it is a terminal (`isTTY`). */
  stdout: {
    /** Writes `text` as it is (lines end with their own newline). */
    write(text: string): unknown;
    /** True for a terminal. */
    isTTY?: boolean;
    /** The terminal's width in characters, which output is fitted to; 100 when unknown. */
    columns?: number;
  };
  /** Where errors, hints and warnings go. */
  stderr: {
    /** Writes `text` as it is (lines end with their own newline). */
    write(text: string): unknown;
  };
  /** The environment variables (credentials, defaults). */
  env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths are resolved from. */
  cwd: string;
}

/** The running process's streams, environment and directory. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
