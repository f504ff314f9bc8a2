/**
 * Text a record carries (branch names, reasons, identities) comes from whoever wrote the build or
 * the decision: control characters in it could move the cursor or rewrite the terminal's title.
 * They are shown escaped (`\x1b`), like git does for unusual file names.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Left-aligned columns, two spaces apart; the last column is not padded. Every cell is made terminal-safe. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const safeRows = rows.map((row) => row.map(terminalSafe));
  const widths = header.map((title, column) => Math.max(title.length, ...safeRows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(header), ...safeRows.map(line)];
}
