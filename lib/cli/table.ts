import { printable } from './io.js';

/** Left-aligned columns, two spaces apart; the last column is not padded. Every cell is printed with control characters escaped. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const safeRows = rows.map((row) => row.map(printable));
  const widths = header.map((title, column) => Math.max(title.length, ...safeRows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(header), ...safeRows.map(line)];
}
