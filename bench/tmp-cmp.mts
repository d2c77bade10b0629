import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";
import { readPageDocument } from "../src/input/page-document";
const dir = "/work/shared/extraction/text/pages";
const files = readdirSync(dir).map((f) => new Uint8Array(readFileSync(join(dir, f))));
const t = (f: () => void) => { const s = performance.now(); f(); return performance.now() - s; };
for (let round = 0; round < 3; round++) {
  let base = 0, ours = 0;
  for (const b of files) {
    base += t(() => { const { document } = parseHTML(new TextDecoder().decode(b)); new Readability(document as never).parse(); });
    ours += t(() => { try { readPageDocument(b, new Date()); } catch {} });
  }
  console.log(`base ${base.toFixed(0)} ours ${ours.toFixed(0)} ratio ${(base / ours).toFixed(3)}`);
}
