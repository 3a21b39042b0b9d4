import { CommanderError } from "commander";
import type { CliIo } from "./cli-io.js";
import { describeError } from "./error-hints.js";
import { EXIT_CODES, type ExitCode } from "./exit-codes.js";
import { buildProgram } from "./program.js";

export { processIo, type CliIo } from "./cli-io.js";
export { EXIT_CODES, type ExitCode } from "./exit-codes.js";
export { ERROR_HINTS } from "./error-hints.js";
export { azureBlobSettings, parseStoreUrl, type AzureBlobStoreSettings, type StoreLocation } from "./store-url.js";
export { renderReportPage } from "./html-report/report-page.js";
export { reportData, type InstanceTimeline, type ReportData, type TimelinePoint } from "./html-report/report-data.js";

/**
 * Runs `kbackup` with `argv` (the arguments after the program's name) against `io`, and resolves with
 * the exit code: 0 success, 1 failure, 2 completed with warnings, 64 bad usage. Never throws: errors
 * are written to `io.stderr` with a hint of what to do.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT_CODES.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    const { lines, exitCode: code } = describeError(error);
    io.stderr.write(`${lines.join("\n")}\n`);
    return code;
  }
}
