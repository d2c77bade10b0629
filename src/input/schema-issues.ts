/** What a schema found wrong with some input, as lines a person can act on: `sources[0]: unknown key "tagz"`. */
import type * as z from "zod";

export function issueLines(error: { issues: readonly z.core.$ZodIssue[] }): string[] {
  return error.issues.map((issue) => {
    const where = pathText(issue.path);
    const what =
      issue.code === "unrecognized_keys" ? `unknown ${issue.keys.length === 1 ? "key" : "keys"} ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
    return where ? `${where}: ${what}` : what;
  });
}

/** ["sources", 0, "tags"] → sources[0].tags */
function pathText(path: PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), "");
}
