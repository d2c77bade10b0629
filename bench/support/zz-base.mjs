import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";
const dir = "/work/shared/extraction/text/pages";
const files = readdirSync(dir).map((f) => join(dir, f));
const t0 = performance.now();
for (let r = 0; r < Number(process.env.R ?? 1); r++) for (const f of files) { const { document } = parseHTML(new TextDecoder().decode(readFileSync(f))); new Readability(document).parse(); }
console.error("ms", performance.now() - t0);
