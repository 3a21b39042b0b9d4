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
