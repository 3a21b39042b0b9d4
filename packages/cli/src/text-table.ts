/** A table as text: a header, a rule, and left-aligned columns (right-aligned for numbers) two spaces apart. */
export function textTable(header: readonly string[], rows: ReadonlyArray<readonly (string | number | undefined)[]>): string {
  const cells = rows.map((row) => header.map((_, i) => row[i]));
  const numeric = header.map((_, i) => cells.some((row) => typeof row[i] === "number") && cells.every((row) => row[i] === undefined || typeof row[i] === "number"));
  const text = cells.map((row) => row.map((cell) => (cell === undefined ? "-" : String(cell))));
  const widths = header.map((title, i) => Math.max(title.length, ...text.map((row) => (row[i] as string).length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...text.map(line)].join("\n") + "\n";
}

/** Bytes as B, KiB, MiB, GiB or TiB with one decimal. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Where a word longer than a line is best cut: after its last `.`, `/`, `-`, `_` or `:` that fits, else at `limit`. */
function cutAt(word: string, limit: number): number {
  const head = word.slice(0, limit);
  const at = Math.max(...[".", "/", "-", "_", ":"].map((mark) => head.lastIndexOf(mark)));
  return at > 0 ? at + 1 : limit;
}

/**
 * `text` in lines of at most `width` characters, broken at whitespace; a word longer than `width`
 * is cut, after a `.`, `/`, `-`, `_` or `:` where it has one. Line breaks in `text` are kept. Empty
 * text is one empty line.
 */
export function wrapText(text: string, width: number): string[] {
  const limit = Math.max(1, Math.floor(width));
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter((part) => part !== "")) {
      if (line !== "" && line.length + 1 + word.length <= limit) {
        line += ` ${word}`;
        continue;
      }
      if (line !== "") lines.push(line);
      let rest = word;
      while (rest.length > limit) {
        const cut = cutAt(rest, limit);
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      line = rest;
    }
    lines.push(line);
  }
  return lines;
}

/** How {@link wrappedTextTable} fits a table into a width. */
export interface WrappedTableOptions {
  /** The widest a line should be. */
  width: number;
  /** The columns (by index) whose text may wrap; the others keep their widest cell. */
  wrap: readonly number[];
  /** The narrowest a wrapping column is made, even if lines then exceed `width`; 20 by default. */
  minColumnWidth?: number;
}

/**
 * The column widths {@link wrappedTextTable} gives a table within `options.width`: columns that do
 * not wrap keep their widest cell; the wrapping ones share what is left, the narrow ones keeping
 * their width and the others splitting the rest.
 */
export function fittedColumnWidths(header: readonly string[], rows: ReadonlyArray<readonly string[]>, options: WrappedTableOptions): number[] {
  const natural = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
  const widths = [...natural];
  const wrapping = options.wrap.filter((index) => index < natural.length).sort((a, b) => (natural[a] as number) - (natural[b] as number));
  const fixed = natural.reduce((sum, width, index) => (wrapping.includes(index) ? sum : sum + width), 0);
  let budget = options.width - fixed - 2 * (natural.length - 1);
  while (wrapping.length > 0) {
    const share = Math.floor(budget / wrapping.length);
    const narrowest = wrapping[0] as number;
    if ((natural[narrowest] as number) <= share) {
      budget -= natural[narrowest] as number;
      wrapping.shift();
      continue;
    }
    for (const index of wrapping) widths[index] = Math.max(options.minColumnWidth ?? 20, share);
    break;
  }
  return widths;
}

/**
 * A table as text, as {@link textTable} draws it (all left-aligned), but fitted into
 * `options.width` by wrapping the text of the columns `options.wrap` names within their cells.
 * When a row takes more than one line, rows are set apart by blank lines.
 */
export function wrappedTextTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, options: WrappedTableOptions): string {
  const widths = fittedColumnWidths(header, rows, options);
  const render = (row: readonly string[]): string[] => {
    const cells = widths.map((width, i) => wrapText(row[i] ?? "", width));
    const height = Math.max(...cells.map((lines) => lines.length));
    return Array.from({ length: height }, (_, line) =>
      cells
        .map((lines, i) => (lines[line] ?? "").padEnd(widths[i] as number))
        .join("  ")
        .trimEnd(),
    );
  };
  const body = rows.map(render);
  const spaced = body.some((lines) => lines.length > 1);
  return [...render(header), widths.map((width) => "-".repeat(width)).join("  "), ...body.flatMap((lines, i) => (spaced && i > 0 ? ["", ...lines] : lines))].join("\n") + "\n";
}
