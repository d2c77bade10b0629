/**
 * JSON from a file a person wrote (a sidecar, a sources file): a syntax
 * error names the file and, where the parser tells, the line, with the
 * parser's reason whole but without the excerpt of the text it quotes.
 */
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
  if (!text.trim()) throw new JsonTextError(file, 1, "empty file, expected JSON");
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = / in JSON at position (\d+)/.exec(message);
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split("\n").length;
      const column = Number(at[1]) - before.lastIndexOf("\n");
      return fail(file, line, `not JSON: ${message.slice(0, at.index).replace(/ \(line \d+ column \d+\)$/, "")} (column ${column})`);
    }
    if (/Unexpected end of JSON input/.test(message)) return fail(file, text.split("\n").length, "not JSON: the text ends before the JSON is complete");
    // "Unexpected token 'x', "…excerpt…" is not valid JSON": the excerpt is cut and says nothing the line does not
    const token = /^Unexpected token ('(?:.|\n)')/.exec(message);
    return fail(file, null, `not JSON: ${token ? `unexpected character ${JSON.stringify(token[1]!.slice(1, -1))}` : message}`);
  }
}

function fail(file: string, line: number | null, reason: string): never {
  throw new JsonTextError(file, line, reason);
}
