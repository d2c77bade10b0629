/**
 * feedparser's test suite as a peer's contract for feedwerk's feed reader
 * (../shared/conformance/feedparser). Every case is judged (feedparser-cases.ts)
 * and counted per folder; agreement over the applicable cases must not fall
 * below what the reader reaches today. FEEDPARSER_REPORT=1 prints every failing
 * case; the list is always written to a report file in the temp folder.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { judge, loadCases, SUITE, type Verdict } from "./feedparser-cases";

/** Agreement (agree + differ by design) over applicable cases reached now; raise it as the reader improves. */
const MIN_AGREEMENT = 98;
const REPORT = join(tmpdir(), "feedwerk-feedparser-conformance.txt");

interface Tally {
  agree: number;
  design: number;
  fail: number;
  na: number;
}

const empty = (): Tally => ({ agree: 0, design: 0, fail: 0, na: 0 });
const applicable = (t: Tally) => t.agree + t.design + t.fail;
const line = (name: string, t: Tally) =>
  `${name}: ${applicable(t)} applicable, ${t.agree} agree, ${t.design} differ by design, ${t.fail} fail, ${t.na} not applicable`;

// with CI set, a missing suite fails instead of being skipped
describe.runIf(existsSync(SUITE) || process.env.CI)("feedparser's test suite", () => {
  it(`agrees on at least ${MIN_AGREEMENT} % of the applicable cases`, async () => {
    const folders = new Map<string, Tally>();
    const total = empty();
    const failures: string[] = [];
    const differences: string[] = [];
    const notApplicable = new Map<string, number>();
    const designReasons = new Map<string, number>();
    for (const c of loadCases()) {
      const verdict: Verdict = await judge(c);
      const tally = folders.get(c.folder) ?? empty();
      folders.set(c.folder, tally);
      const key = verdict.kind === "n/a" ? "na" : verdict.kind;
      tally[key]++;
      total[key]++;
      if (verdict.kind === "fail") failures.push(`${c.file}\n  expect: ${c.expect}\n  feedwerk: ${verdict.detail}`);
      if (verdict.kind === "n/a") notApplicable.set(verdict.category, (notApplicable.get(verdict.category) ?? 0) + 1);
      if (verdict.kind === "design") {
        for (const r of verdict.reasons) designReasons.set(r, (designReasons.get(r) ?? 0) + 1);
        differences.push(`${c.file}: ${verdict.reasons.join("; ")}`);
      }
    }
    const agreement = (100 * (total.agree + total.design)) / applicable(total);
    const byCount = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${n} ${k}`);
    const summary = [
      ...[...folders].map(([name, t]) => line(name, t)),
      line("total", total),
      `agreement: ${agreement.toFixed(1)} % of applicable cases (${total.agree + total.design} of ${applicable(total)}: agree or differ by design; ${((100 * total.agree) / applicable(total)).toFixed(1)} % agree outright)`,
      "differ by design:",
      ...byCount(designReasons),
      "not applicable:",
      ...byCount(notApplicable),
    ];
    writeFileSync(REPORT, `${summary.join("\n")}\n\nfailing cases:\n${failures.join("\n")}\n\ndiffering by design:\n${differences.join("\n")}\n`);
    console.log(`${summary.join("\n")}\nfailing cases: ${REPORT}`);
    if (process.env.FEEDPARSER_REPORT) console.log(failures.join("\n"));
    expect(agreement).toBeGreaterThanOrEqual(MIN_AGREEMENT);
    // the documentation quotes this run's figures, not those of an older reader
    const quoted = /\((\d+\.\d) % of (\d+) applicable cases, (\d+\.\d) % outright\)/.exec(documentation());
    expect(quoted?.slice(1), "the figures the documentation quotes").toEqual([
      agreement.toFixed(1),
      String(applicable(total)),
      ((100 * total.agree) / applicable(total)).toFixed(1),
    ]);
  });

  // the comparisons can fail: the same documents with expectations feedwerk does not meet; what
  // only feedwerk's allow-list removes (a script feedparser had kept) differs by design
  it.each([
    ["wellformed/rss/item_title.xml", "entries[0]['title'] == 'Item 1 title'", "agree"],
    ["wellformed/rss/item_title.xml", "entries[0]['title'] == 'Item 2 title'", "fail"],
    ["wellformed/rss/item_link.xml", "entries[0]['link'] == 'http://example.com/other'", "fail"],
    ["wellformed/sanitize/item_description_script.xml", "entries[0]['description'] == 'safe description'", "agree"],
    ["wellformed/sanitize/item_description_script.xml", "entries[0]['description'] == '<script>x</script>safe description'", "design"],
    ["wellformed/sanitize/item_description_script.xml", "entries[0]['description'] == 'safe <b>description</b>'", "fail"],
    ["wellformed/rss/item_pubDate_map_updated_parsed.xml", "entries[0]['published_parsed'] == (2004, 1, 1, 19, 48, 22, 3, 1, 0)", "fail"],
    ["wellformed/rss/item_pubDate_map_updated_parsed.xml", "entries[0]['published_parsed'] == (2004, 1, 1, 19, 48, 21, 3, 1, 0)", "agree"],
    ["wellformed/rss/item_title.xml", "feed['title'] == 'Item 1 title'", "n/a"],
    // an Atom category is named by its label only where the document gives that label to that term
    ["wellformed/atom10/entry_category_term_non_ascii.xml", "entries[0]['tags'][0]['term'] == 'Freir\\xe4ume'", "design"],
    ["wellformed/atom10/entry_category_term_non_ascii.xml", "entries[0]['tags'][0]['term'] == 'Freizeit'", "fail"],
    // a title of feedwerk's making stands in only for a title without text
    ["wellformed/sanitize/entry_title_onabort.xml", "entries[0]['title'] == 'Some other title'", "fail"],
    ["wellformed/cdf/item_title.xml", "entries[0]['title'] == 'Example item'", "n/a"],
  ])("%s with %s: %s", async (file, expectation, kind) => {
    const c = loadCases().find((x) => x.file === file);
    expect(c, file).toBeDefined();
    expect((await judge({ ...c!, expect: expectation })).kind).toBe(kind);
  });
});

/** The README and the pages of docs/, where the suite's figures are quoted. */
function documentation(): string {
  const root = join(import.meta.dirname, "..", "..");
  const docs = join(root, "docs");
  const pages = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith(".md"))
        .map((f) => join(docs, f))
    : [];
  return [join(root, "README.md"), ...pages].map((f) => readFileSync(f, "utf8")).join("\n");
}
