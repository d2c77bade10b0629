/**
 * Telling a saved or posted HTML page from the portal's text page by its first bytes: a module of its own, so
 * that the Worker, which reads text pages alone and refuses HTML, loads none of the HTML reading to say so.
 */
/**
 * Whether bytes are an HTML document rather than a text page: markup first, after white space and a byte-order
 * mark (a doctype, a comment, an element), where a text page opens with its kicker's words.
 */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder("utf-8")
    .decode(bytes.subarray(0, 1024))
    .replace(/^\uFEFF/, "")
    .trimStart();
  // a feed or an outline is XML too, and no page (its root perhaps with a prefix: <r:rss>, <atom:feed>)
  return /^<[!?a-z]/i.test(head) && !/<(?:[\w-]+:)?(?:rss|feed|RDF|opml)[\s>]/i.test(head);
}
