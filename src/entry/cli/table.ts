/** Tables on standard output, for people reading a terminal. */

/** A long cell cut. */
function cut(s: string): string {
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** Columns padded to their widest cell; long cells cut. */
export function printTable(head: string[], rows: string[][]): void {
  const all = [head, ...rows].map((r) => r.map(cut));
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  for (const row of all)
    console.log(
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
}

/**
 * A table printed a row at a time, as its rows come: columns of fixed
 * widths (the last one unpadded), long cells cut; the head before the first row.
 */
export function rowPrinter(head: string[], widths: number[]): (row: string[]) => void {
  const print = (row: string[]) =>
    console.log(
      row
        .map((c, i) => (i < widths.length ? cut(c).padEnd(widths[i]!) : cut(c)))
        .join("  ")
        .trimEnd(),
    );
  let headed = false;
  return (row) => {
    if (!headed) print(head);
    headed = true;
    print(row);
  };
}
