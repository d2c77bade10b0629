/**
 * A followed feed as a person writes it down: in a POST to the admin API and
 * in each entry of a `sources apply` file. Unknown keys are refused, so a
 * misspelt "tagz" is an error instead of a feed without tags.
 */
import { compile } from "css-select";
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

/**
 * A CSS selector, as a person writes one: compiled here by css-select, what the page reader's DOM (linkedom)
 * matches with, so that a selector it could not read is refused with the file, not when the page is fetched.
 */
const selector = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(500)
  .superRefine((text, ctx) => {
    try {
      compile(text);
    } catch (error) {
      const why = (error as Error).message.replace(/found $/, "found the end");
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is no CSS selector (${why})` });
    }
  });

/** Where a page source's teasers are: each `item`, and inside it the rest (input/html/teasers). */
export const teaserSelectors = z.strictObject({
  item: selector,
  title: selector.optional(),
  link: selector.optional(),
  summary: selector.optional(),
  time: selector.optional(),
  image: selector.optional(),
});

export const sourceEntry = z.strictObject({
  url: followable,
  name: z.string().trim().min(1, "must not be empty").max(200).optional(),
  tags: z.array(tagLabel).optional(),
  /** Read the address as a page of teasers (a section page, a news sitemap), even where it names a feed. */
  page: z.boolean().optional(),
  /** Fetch each new story's article page and read its full text into it. */
  fullText: z.boolean().optional(),
  /** Where the page's teasers are; implies `page`. */
  select: teaserSelectors.optional(),
});

export type SourceEntry = z.output<typeof sourceEntry>;
