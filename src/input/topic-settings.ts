/**
 * Topics as a person writes them down: in the sources file's "tags" and
 * "rules", and in the admin API's bodies. Checked whole, every fault named
 * by its place: a pattern RE2 cannot read, an unknown field, include rules
 * on a tag that does not match by rules.
 */
import * as z from "zod";
import { TAG_MATCHES } from "../normalise/topic/membership";
import { RULE_FIELDS, ruleProblem, type Rule } from "../normalise/topic/rules";
import { tagLabel } from "./feed/source-entry";

const MAX_TEXT = 1_000;
const KINDS = ["words", "pattern", "all"] as const;
const OPTIONS: Record<(typeof KINDS)[number], string[]> = { words: ["in", "matchCase"], pattern: ["in", "matchCase"], all: [] };

/**
 * What is wrong with a rule as written, each fault with its place below the rule (`all[1].in`): checked by
 * hand rather than as a union of schemas, whose verdict on a misspelt key would be "Invalid input".
 */
function ruleFaults(value: unknown, at: (string | number)[] = []): { path: (string | number)[]; message: string }[] {
  const fault = (message: string, path = at) => [{ path, message }];
  if (typeof value === "string") {
    if (!value.trim()) return fault("a rule must not be empty");
    return value.length > MAX_TEXT ? fault(`a rule has at most ${MAX_TEXT} characters`) : [];
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return fault(
      `a rule is text, or an object with "words", "pattern" or "all"; got ${Array.isArray(value) ? "a list" : value === null ? "null" : typeof value}`,
    );
  }
  const rule = value as Record<string, unknown>;
  const kinds = KINDS.filter((k) => k in rule);
  if (kinds.length !== 1) {
    const unknown = Object.keys(rule).filter((k) => !(KINDS as readonly string[]).includes(k) && k !== "in" && k !== "matchCase");
    const said = unknown.length ? ` (unknown ${unknown.length === 1 ? "key" : "keys"} ${unknown.map((k) => `"${k}"`).join(", ")})` : "";
    return fault(`a rule has one of "words", "pattern" or "all"${kinds.length ? `, not ${kinds.map((k) => `"${k}"`).join(" and ")}` : ""}${said}`);
  }
  const kind = kinds[0]!;
  const faults: { path: (string | number)[]; message: string }[] = [];
  for (const key of Object.keys(rule)) if (key !== kind && !OPTIONS[kind].includes(key)) faults.push(...fault(`unknown key "${key}" in a "${kind}" rule`));
  if (kind === "all") {
    const parts = rule.all;
    if (!Array.isArray(parts) || !parts.length || parts.length > 20) return [...faults, ...fault("'all' is a list of 1 to 20 rules", [...at, "all"])];
    for (const [i, part] of parts.entries()) faults.push(...ruleFaults(part, [...at, "all", i]));
    return faults;
  }
  const text = rule[kind];
  if (typeof text !== "string" || !text || text.length > MAX_TEXT) faults.push(...fault(`"${kind}" is text of 1 to ${MAX_TEXT} characters`, [...at, kind]));
  if ("in" in rule) {
    const where = Array.isArray(rule.in) ? rule.in : [rule.in];
    if (!where.length) faults.push(...fault("name at least one field", [...at, "in"]));
    for (const field of where) {
      if (!(RULE_FIELDS as readonly unknown[]).includes(field))
        faults.push(...fault(`${JSON.stringify(field)} is no field; one of ${RULE_FIELDS.join(", ")}`, [...at, "in"]));
    }
  }
  if ("matchCase" in rule && typeof rule.matchCase !== "boolean") faults.push(...fault('"matchCase" is true or false', [...at, "matchCase"]));
  if (faults.length) return faults;
  // sound in shape: can it be used (a pattern RE2 cannot read, words without a letter or digit)?
  const problem = ruleProblem(rule as unknown as Rule);
  return problem ? fault(problem) : [];
}

export const rule = z.unknown().transform((value, ctx) => {
  const faults = ruleFaults(value);
  for (const { path, message } of faults) ctx.addIssue({ code: "custom", message, path });
  return faults.length ? z.NEVER : (value as Rule);
});

const rules = z.array(rule).max(200);

export const topicSetting = z
  .strictObject({
    match: z.enum(TAG_MATCHES).optional(),
    include: rules.optional(),
    exclude: rules.optional(),
  })
  .refine((t) => !t.include?.length || t.match === undefined || t.match === "rules", {
    error: 'include rules need "match": "rules"',
    path: ["include"],
  });

/** The sources file's "tags": settings by tag label (or slug). */
export const topicSettings = z.record(tagLabel, topicSetting);

/** The sources file's "rules": the global ones. */
export const globalRules = z.strictObject({ drop: rules });

export type TopicSettingInput = z.output<typeof topicSetting>;
