// The baseline of `npm run bench:extract`: Mozilla Readability on linkedom over saved pages, as its README shows it,
// one JSON line per page (the shape `parse --jsonl` prints), in a process of its own. UTF-8 alone, as a plain script reads.
// linkedom as published (the package linkedom-stock is linkedom 0.18.15 under another name): feedwerk's own copy
// carries patches/linkedom+0.18.15.patch, and the baseline is what a person installing the two packages gets.
import { readFileSync } from "node:fs";
import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom-stock";

for (const file of process.argv.slice(2)) {
  try {
    const { document } = parseHTML(new TextDecoder("utf-8").decode(readFileSync(file)));
    const read = new Readability(document).parse();
    process.stdout.write(`${JSON.stringify({ file, items: [{ kind: "article", title: read?.title ?? "", contentHtml: read?.content ?? "", publishedAt: read?.publishedTime ?? null }] })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ file, error: String(error) })}\n`);
  }
}
