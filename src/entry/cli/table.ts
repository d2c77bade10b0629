/** Tables on standard output, for people reading a terminal. */

/** Columns padded to their widest cell; long cells cut. */
export function printTable(head: string[], rows: string[][]): void {
  const cut = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s);
  const all = [head, ...rows].map((r) => r.map(cut));
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  for (const row of all) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
}
