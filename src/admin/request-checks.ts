/** What the admin API checks of a request before its handler runs: the text it carries, its body's type, its schema. */
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler } from "hono";
// a namespace import lets the bundler keep only the parts used; `import { z }` would put all of zod's locales into the Worker
import * as z from "zod";
import { issueLines } from "../input/schema-issues";
import { textFault } from "../normalise/text";
import { problem } from "./problem";

const WHERE = { json: "the request body", query: "the query string" } as const;

/** Where a value from outside holds text no database column can (a NUL, a lone surrogate), as `path: fault`. */
function textFaults(value: unknown, path = ""): string[] {
  if (typeof value === "string") {
    const fault = textFault(value);
    return fault ? [`${path || "value"}: ${fault}`] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => textFaults(v, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => {
      const at = path ? `${path}.${k}` : k;
      const fault = textFault(k);
      return [...(fault ? [`${at}: the key ${fault}`] : []), ...textFaults(v, at)];
    });
  }
  return [];
}

/** A schema's verdict on one part of the request: a 400 listing everything wrong, else on to the handler. */
export function checked<T extends z.ZodType, Target extends keyof typeof WHERE>(target: Target, schema: T) {
  // text a column cannot hold is refused first, whatever the schema would say of the rest
  const guarded = z.unknown().superRefine((value, ctx) => {
    for (const line of textFaults(value)) ctx.addIssue({ code: "custom", message: line });
  });
  return zValidator(target, guarded.pipe(schema) as unknown as T, (result) => {
    if (result.success) return;
    const errors = issueLines(result.error);
    return problem(400, `${WHERE[target]} is not what ${target === "json" ? "this endpoint takes" : "this endpoint understands"}: ${errors.join("; ")}`, {
      errors,
    });
  });
}

// a body sent as a form (curl -d's default) would reach the schema as nothing at all: say what is wrong with it
export const jsonBody: MiddlewareHandler = async (c, next) => {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(type)) {
    return problem(415, `the body must be JSON, sent with Content-Type: application/json${type ? ` (got ${type.split(";")[0]})` : ""}`);
  }
  await next();
};
