/**
 * A followed feed as a person writes it down: in a POST to the admin API and
 * in each entry of a `sources apply` file. Unknown keys are refused, so a
 * misspelt "tagz" is an error instead of a feed without tags.
 */
import * as z from "zod";
import { followableUrl } from "./followable-url";

const followable = z.string().transform((text, ctx) => {
  try {
    return followableUrl(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

export const sourceEntry = z.strictObject({
  url: followable,
  name: z.string().trim().min(1, "must not be empty").max(200).optional(),
  tags: z.array(z.string().trim().min(1, "a tag must not be empty").max(200)).optional(),
});

export type SourceEntry = z.output<typeof sourceEntry>;
