import { main, type CliIo, type ExitCode } from "@kbackup/cli";

/** What a run of `kbackup` printed, and how it exited. */
export interface CliRun {
  code: ExitCode;
  stdout: string;
  stderr: string;
}

/** Runs `kbackup` in this process with captured output, as a terminal (of `columns`, 120 by default) would when `tty` is set. */
export async function kbackup(args: readonly string[], options: { env?: Record<string, string | undefined>; cwd?: string; tty?: boolean; columns?: number } = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false, columns: options.columns ?? 120 },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
