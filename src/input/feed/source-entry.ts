/**
 * A followed feed as a person writes it down: in a POST to the admin API and
 * in each entry of a `sources apply` file. Unknown keys are refused, so a
 * misspelt "tagz" is an error instead of a feed without tags.
 */
import * as z from "zod";
import { slugify } from "../../normalise/slug";
import { followableUrl } from "./followable-url";

const followable = z.string().transform((text, ctx) => {
  try {
    return followableUrl(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

/** A tag label: a tag is known by its slug, so a label without a letter or digit ("!!!") would name no tag. */
export const tagLabel = z
  .string()
  .trim()
  .min(1, "a tag must not be empty")
  .max(200)
  .refine((label) => slugify(label) !== "", { error: (issue) => `a tag needs a letter or digit, got ${JSON.stringify(issue.input)}` });

export const sourceEntry = z.strictObject({
  url: followable,
  name: z.string().trim().min(1, "must not be empty").max(200).optional(),
  tags: z.array(tagLabel).optional(),
});

export type SourceEntry = z.output<typeof sourceEntry>;
