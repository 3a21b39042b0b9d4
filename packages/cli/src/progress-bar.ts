import type { CliIo } from "./cli-io.js";

/** Draws a progress bar on one line of a terminal; does nothing when output is not a terminal. */
export class ProgressBar {
  private drawn = false;
  private readonly enabled: boolean;

  constructor(
    private readonly io: CliIo,
    enabled: boolean,
  ) {
    this.enabled = enabled && io.stdout.isTTY === true;
  }

  /** Redraws the bar: `label [#####.....] done/total detail`; without a total, a count only. */
  update(label: string, done: number, total?: number, detail = ""): void {
    if (!this.enabled) return;
    const width = 30;
    const bar = total !== undefined && total > 0 ? `[${"#".repeat(Math.min(width, Math.round((done / total) * width))).padEnd(width, ".")}] ${done}/${total}` : `${done}`;
    const columns = this.io.stdout.columns ?? 100;
    const text = `${label.padEnd(12)} ${bar} ${detail}`.slice(0, Math.max(20, columns - 1));
    this.io.stdout.write(`\r\x1b[2K${text}`);
    this.drawn = true;
  }

  /** Ends the bar's line, so that what follows starts on a line of its own. */
  done(): void {
    if (this.drawn) this.io.stdout.write("\r\x1b[2K");
    this.drawn = false;
  }
}
