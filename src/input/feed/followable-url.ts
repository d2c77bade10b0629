/** What may be followed as a feed: an absolute http(s) URL, without credentials in it. */
export function followableUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(`'${text}' is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("only http and https feeds can be followed");
  if (url.username || url.password) throw new Error("feed URLs with credentials in them are not followed");
  return url.toString();
}

/** A URL as it may be shown back in a message or a log: a password in it is masked. */
export function shownUrl(text: string): string {
  try {
    const url = new URL(text.trim());
    if (!url.password) return text;
    url.password = "***";
    return url.toString();
  } catch {
    return text;
  }
}
