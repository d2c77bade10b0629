/**
 * JSON from a file a person wrote (a sidecar, a sources file): a syntax
 * error names the file and, where the parser tells, the line, with the
 * parser's reason whole but without the excerpt of the text it quotes.
 */
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";

export class JsonTextError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${file}${line === null ? "" : `:${line}`}: ${reason}`);
    this.name = "JsonTextError";
  }
}

export function parseJsonText(file: string, text: string): unknown {
  // a byte order mark, which some editors write, is no part of the JSON
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!text.trim()) throw new JsonTextError(file, 1, "empty file, expected JSON");
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = / (?:in|after) JSON at position (\d+)/.exec(message);
    if (at) {
      const reason = message.slice(0, at.index).replace(/ \(line \d+ column \d+\)$/, "");
      return failAt(file, text, Number(at[1]), lowerFirst(at[0].startsWith(" after") ? `${reason} after the JSON` : reason));
    }
    if (/Unexpected end of JSON input/.test(message)) return fail(file, text.split("\n").length, "not JSON: the text ends before the JSON is complete");
    // V8 gives no position for an unexpected token ("Unexpected token 'x', "…excerpt…" is not valid JSON"): jsonc-parser finds it
    const errors: ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (first) return failAt(file, text, first.offset, reasonOf(first, text));
    // V8's reason without its excerpt of the text (cut, and saying nothing the file does not)
    return fail(file, null, `not JSON: ${lowerFirst(message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, ""))}`);
  }
}

function failAt(file: string, text: string, position: number, reason: string): never {
  const before = text.slice(0, position);
  return fail(file, before.split("\n").length, `not JSON: ${reason} (column ${position - before.lastIndexOf("\n")})`);
}

// by name: the codes are a const enum, which a module compiled on its own cannot read
const EXPECTED: Record<string, string> = {
  ValueExpected: "expected a value",
  PropertyNameExpected: "expected a property name in double quotes",
  CommaExpected: "expected ','",
  ColonExpected: "expected ':'",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: "more text after the JSON",
  InvalidCommentToken: "a comment, which JSON does not allow",
};

function reasonOf(error: ParseError, text: string): string {
  const code = printParseErrorCode(error.error);
  if (code === "InvalidSymbol") return `unexpected ${shown(text.slice(error.offset, error.offset + error.length))}`;
  return EXPECTED[code] ?? code;
}

/** V8's reasons begin with a capital; the others, and the line they end up in, do not. */
const lowerFirst = (reason: string) => reason.charAt(0).toLowerCase() + reason.slice(1);

/** A symbol as a reader can see it: quoted, with an invisible character (a no-break space, say) named by its code point. */
function shown(symbol: string): string {
  return JSON.stringify(symbol).replace(
    /[\u0080-\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/g,
    (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}>`,
  );
}

function fail(file: string, line: number | null, reason: string): never {
  throw new JsonTextError(file, line, reason);
}
