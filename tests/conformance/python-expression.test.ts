/** The expression subset of feedparser's Expect lines: what it reads, and what it refuses. */
import { describe, expect, it } from "vitest";
import { evaluate, parse, repr, Unsupported, type Scope } from "./python-expression";

const none: Scope = {
  name: (n) => {
    throw new Unsupported(n);
  },
};
const run = (source: string) => repr(evaluate(parse(source), none));

describe("python-expression", () => {
  it.each([
    [`u'caf\\xe9 \\u2261' == 'café ≡'`, "True"],
    [`'a' 'b' + "c" == 'abc'`, "True"],
    [`'''it's''' == "it's"`, "True"],
    [`r'\\n' == '\\\\n'`, "True"],
    [`(2003, 12, 31) == (2003, 12, 31) != (1, 2)`, "True"],
    [`1 == 1 == 2`, "False"],
    [`not 'x' in 'abc' and 'b' in ['a', 'b']`, "True"],
    [`'k' not in {'k': None}`, "False"],
    [`{'a': 1, 'b': (1,)}['b'][0] is None or len('abc')`, "3"],
    [`ord('\\u2026') == 8230`, "True"],
    [`'' or None`, "None"],
  ])("%s → %s", (source, expected) => {
    expect(run(source)).toBe(expected);
  });

  it.each([`lambda: 1`, `[x for x in y]`, `a % b`, `b'bytes'`, `1 < 2`, `datetime.timedelta(0)`, `'open`])("refuses %s", (source) => {
    expect(() => run(source)).toThrow(Unsupported);
  });
});
