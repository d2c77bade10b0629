const FOLD: Record<string, string> = { ä: "ae", ö: "oe", ü: "ue", ß: "ss" };

/**
 * Tag slug: lower case, German umlauts and ß transliterated, every run of
 * characters other than a-z and 0-9 becomes one "-", none at either end.
 * Other accented letters lose their accent (é → e) rather than vanish.
 */
export function slugify(label: string): string {
  return label
    .toLowerCase()
    .replace(/[äöüß]/g, (ch) => FOLD[ch] ?? ch)
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
