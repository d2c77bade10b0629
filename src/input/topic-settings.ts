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

const fields = z.union([z.enum(RULE_FIELDS), z.array(z.enum(RULE_FIELDS)).min(1, "name at least one field")]).optional();

const MAX_TEXT = 1_000;

const wordsRule = z.strictObject({ words: z.string().min(1).max(MAX_TEXT), in: fields, matchCase: z.boolean().optional() });
const patternRule = z.strictObject({ pattern: z.string().min(1).max(MAX_TEXT), in: fields, matchCase: z.boolean().optional() });

export const rule: z.ZodType<Rule> = z
  .lazy(() =>
    z.union([
      z.string().min(1, "a rule must not be empty").max(MAX_TEXT),
      wordsRule,
      patternRule,
      z.strictObject({ all: z.array(rule).min(1, "'all' needs at least one rule").max(20) }),
    ]),
  )
  .superRefine((value, ctx) => {
    // only where the shape is sound: a words rule without letters, a pattern RE2 cannot read
    const problem = ruleProblem(value as Rule);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }) as z.ZodType<Rule>;

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
