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

/** Characters as a reader sees them: a flag, or a letter and its combining accent, is one. */
const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * A row of a table printed a row at a time: columns of fixed widths (the
 * last one unpadded and only cut when long), each cell cut to its column so
 * that the columns stay aligned row after row. The first column is cut in its
 * middle: a feed's name is often its address, told apart by its end. A number
 * is never cut (a count cut short would be a wrong count): one wider than its
 * column pushes the rest of its row on. Cuts fall between characters as a
 * reader sees them, not inside one (a terminal shows some characters, emoji
 * among them, two places wide: a name of them is cut to its width in
 * characters, and pushes on too).
 */
export function fixedRow(row: readonly string[], widths: readonly number[]): string {
  return row
    .map((c, i) => {
      if (i >= widths.length) return cut(c);
      const width = widths[i]!;
      const chars = Array.from(GRAPHEMES.segment(c), (g) => g.segment);
      if (chars.length <= width || /^\d+$/.test(c)) return c.padEnd(width + c.length - chars.length);
      if (i > 0) return `${chars.slice(0, width - 1).join("")}…`;
      const tail = Math.floor((width - 1) / 2);
      return `${chars.slice(0, width - 1 - tail).join("")}…${chars.slice(chars.length - tail).join("")}`;
    })
    .join("  ")
    .trimEnd();
}

/** A table printed a row at a time, as its rows come (fixedRow); the head before the first row. */
export function rowPrinter(head: string[], widths: number[]): (row: string[]) => void {
  let headed = false;
  return (row) => {
    if (!headed) console.log(fixedRow(head, widths));
    headed = true;
    console.log(fixedRow(row, widths));
  };
}
