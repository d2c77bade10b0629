/** A JSON file a person wrote: every syntax error names the line and column where it is, whatever V8's message gives. */
import { describe, expect, it } from "vitest";
import { JsonTextError, parseJsonText } from "../../../src/input/json-text";

function errorOf(text: string): string {
  try {
    parseJsonText("sources.json", text);
  } catch (error) {
    expect(error).toBeInstanceOf(JsonTextError);
    return (error as Error).message;
  }
  throw new Error("parsed");
}

describe("parseJsonText", () => {
  it.each([
    // V8 gives a position
    ['{\n  "a": 1,\n}', "sources.json:3: not JSON: expected double-quoted property name (column 1)"],
    ['{\n  "a": 1\n}\n}', "sources.json:4: not JSON: unexpected non-whitespace character after the JSON (column 1)"],
    ['{"a": "b\n"}', "sources.json:1: not JSON: bad control character in string literal (column 9)"],
    // V8 names the character but not where it is
    ['{\n  "a": x\n}', 'sources.json:2: not JSON: unexpected "x" (column 8)'],
    ["[1,\n2,\n]", "sources.json:3: not JSON: expected a value (column 1)"],
    ['{\n"a": tru}', 'sources.json:2: not JSON: unexpected "tru" (column 6)'],
    ['{\n  "url": "https://example.org/", "tags": ["a",, "b"]\n}', "sources.json:2: not JSON: expected a value (column 47)"],
    ['{"a": \n', "sources.json:2: not JSON: the text ends before the JSON is complete"],
    [" \n", "sources.json:1: empty file, expected JSON"],
    // a no-break space where a value should be: named, since it cannot be seen
    ['{"a":\u00a01}', 'sources.json:1: not JSON: unexpected "<U+00A0>1" (column 6)'],
  ])("%j", (text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  it("reads a file with a byte order mark", () => {
    expect(parseJsonText("sources.json", '\ufeff{"a": 1}')).toEqual({ a: 1 });
  });

  it("reads valid JSON as JSON.parse does", () => {
    const text = '{"sources": [{"url": "https://example.org/feed.xml", "tags": ["ä", "\\u00df"]}]}';
    expect(parseJsonText("sources.json", text)).toEqual(JSON.parse(text));
  });
});
