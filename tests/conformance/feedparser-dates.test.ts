/**
 * The date vectors of feedparser's test_date_parsers.py (date strings and the
 * UTC instants they mean, as struct_time tuples), read from the file itself
 * and checked against parseFeedDate. The formats feeds use (RFC 822 and its
 * variants, W3C-DTF and ISO 8601, asctime, Perforce's) must agree; the ones
 * feedwerk declines are listed with the reason and must give no date rather
 * than a wrong one.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFeedDate } from "../../src/input/feed/dates";
import { SUITE } from "./feedparser-cases";
import { structTime } from "./feedwerk-view";
import { evaluate, parse, repr, type Tuple, type Value } from "./python-expression";

/** feedparser's parsers whose formats feedwerk does not read, and why. */
const DECLINED_PARSERS: Record<string, string> = {
  _parse_date_greek: "Greek month and day names",
  _parse_date_hungarian: "Hungarian month names",
  _parse_date_nate: "Korean (Nate) date form",
  _parse_date_onblog: "Korean (OnBlog) date form",
};

/** Single inputs feedwerk declines although feedparser reads them. */
const DECLINED_INPUTS: Record<string, string> = {
  "-0312": "ISO 8601:1988 truncated form with a two-digit year (gone from ISO 8601:2004 and RFC 3339)",
  "031231": "ISO 8601:1988 two-digit year",
  "03-12-31": "ISO 8601:1988 two-digit year",
  "-03-12": "ISO 8601:1988 truncated form with a two-digit year",
  "03335": "ISO 8601:1988 two-digit year with an ordinal day",
};

interface Vector {
  parser: string;
  input: string;
  expected: Value;
}

function vectors(): Vector[] {
  const source = readFileSync(join(SUITE, "test_date_parsers.py"), "utf8");
  const table = /"parse_date, input_value, expected_value",\s*(\([\s\S]*?\)),\s*\)\s*def test_date_parser/.exec(source)?.[1];
  if (!table) throw new Error("test_date_parsers.py: the parametrize table of test_date_parser was not found");
  const names = {
    name: (name: string) =>
      name.startsWith("_parse_date")
        ? name
        : (() => {
            throw new Error(`test_date_parsers.py: unknown name ${name}`);
          })(),
  };
  const rows = evaluate(parse(table), names) as Tuple;
  const found = rows.items.map((row) => {
    const [parser, input, expected] = (row as Tuple).items as [string, string, Value];
    return { parser, input, expected };
  });
  // test_year_10000_date, a separate test function of the same file
  for (const m of source.matchAll(/date = (_parse_date_\w+)\("([^"]*)"\)\s*assert date is None/g)) found.push({ parser: m[1]!, input: m[2]!, expected: null });
  return found;
}

describe.runIf(existsSync(SUITE) || process.env.CI)("feedparser's date vectors", () => {
  const all = vectors();

  it("are all read from test_date_parsers.py", () => {
    expect(all.length).toBeGreaterThan(70);
  });

  for (const v of all) {
    const declined = DECLINED_PARSERS[v.parser] ?? DECLINED_INPUTS[v.input];
    const title = `${v.parser.replace("_parse_date_", "")}: ${JSON.stringify(v.input)} → ${declined ? `declined (${declined})` : repr(v.expected)}`;
    it(title, () => {
      const got = structTime(parseFeedDate(v.input));
      expect(repr(got)).toBe(declined ? "None" : repr(v.expected));
    });
  }

  it("agree per parser (printed)", () => {
    const table = new Map<string, { agree: number; declined: number; fail: number }>();
    for (const v of all) {
      const row = table.get(v.parser) ?? { agree: 0, declined: 0, fail: 0 };
      table.set(v.parser, row);
      const got = repr(structTime(parseFeedDate(v.input)));
      if (got === repr(v.expected)) row.agree++;
      else if ((DECLINED_PARSERS[v.parser] ?? DECLINED_INPUTS[v.input]) && got === "None") row.declined++;
      else row.fail++;
    }
    console.log(
      [...table].map(([p, r]) => `${p}: ${r.agree + r.declined + r.fail} vectors, ${r.agree} agree, ${r.declined} declined, ${r.fail} fail`).join("\n"),
    );
    expect([...table.values()].reduce((n, r) => n + r.fail, 0)).toBe(0);
  });
});
