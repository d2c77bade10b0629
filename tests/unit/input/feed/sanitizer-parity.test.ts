/**
 * The sanitiser (src/input/feed/sanitizer.ts) is sanitize-html's algorithm with feedwerk's options compiled once:
 * it must give sanitize-html's output byte for byte. Generated fragments, a fixed seed: bad markup, disallowed
 * and raw-text elements, odd attribute names and values, entities and `javascript:` tricks, against
 * sanitize-html itself with the same options and transforms. A changed sanitize-html (an upgrade) or changed
 * options show here first. Also: the summary's text read in the sanitiser's pass is plainText's of the same HTML.
 */
import sanitize from "sanitize-html";
import { describe, expect, it } from "vitest";
import { plainText, sanitizeContent, sanitizeWithText } from "../../../../src/input/feed/html";
import { SANITIZE, sanitizeFragment } from "../../../../src/input/feed/sanitizer";

let seed = 20261206;
// mulberry32: a small seeded generator, so that a failure names a fragment that comes again
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
const TAGS = [
  "p",
  "br",
  "hr",
  "a",
  "strong",
  "b",
  "em",
  "i",
  "u",
  "s",
  "sub",
  "sup",
  "small",
  "mark",
  "abbr",
  "q",
  "cite",
  "blockquote",
  "pre",
  "code",
  "ul",
  "ol",
  "li",
  "dl",
  "dt",
  "dd",
  "h1",
  "h2",
  "h3",
  "h6",
  "img",
  "figure",
  "figcaption",
  "picture",
  "source",
  "table",
  "thead",
  "tbody",
  "tfoot",
  "tr",
  "th",
  "td",
  "caption",
  "time",
  "div",
  "span",
  "script",
  "style",
  "textarea",
  "option",
  "select",
  "optgroup",
  "iframe",
  "svg",
  "math",
  "title",
  "html",
  "body",
  "head",
  "template",
  "noscript",
  "object",
  "xmp",
  "plaintext",
  "foreignObject",
  "font",
  "center",
  "form",
  "input",
  "button",
  "video",
  "audio",
  "embed",
  "meta",
  "link",
  "base",
  "area",
  "col",
  "wbr",
  "IMG",
  "A",
  "Script",
  "P",
  "mi",
  "desc",
  "annotation-xml",
  "x-y",
  "a:b",
];
const ATTRS = [
  "href",
  "src",
  "srcset",
  "alt",
  "title",
  "width",
  "height",
  "onclick",
  "style",
  "class",
  "rel",
  "xml:base",
  "type",
  "media",
  "colspan",
  "rowspan",
  "datetime",
  "id",
  "name",
  "target",
  "loading",
  'a"b',
  "<x",
  "=",
  "/",
  "checked",
  "xmlns",
  "HREF",
  "Src",
  "data-x",
  "__proto__",
  "constructor",
  "hasOwnProperty",
  "toString",
];
const VALUES = [
  "",
  "x",
  "http://e.org/a?b=1&c=2",
  "/rel/path",
  "../up",
  "//proto.rel/x",
  "\\\\back",
  "javascript:alert(1)",
  "JaVaScRiPt:x",
  "java\tscript:x",
  " javascript:x",
  "jav&#x09;ascript:x",
  "&#106;avascript:x",
  "data:text/html,x",
  "mailto:a@b",
  "tel:1",
  "ftp://x",
  "http://[bad",
  "https://ex.org/é",
  'x"y',
  "a<b>c",
  "a&amp;b",
  "&quot;q&quot;",
  "<!--c-->javascript:x",
  "java<!--x-->script:y",
  "#frag",
  "?q",
  "https://a.b/c d",
  "\u0000x",
  "50",
  "1 2",
  "img.png 2x, big.png 3x",
  "img.png",
  "http:",
  "http://",
  "::",
  " ",
  "relative:x",
];
const TEXTS = [
  "hello",
  "Tom & Jerry",
  "a < b",
  "b > a",
  "&amp;",
  "&lt;",
  "&gt;",
  "&nbsp;",
  "&#8217;",
  "&#x2019;",
  "&bogus;",
  "&amp",
  "&copy",
  "&notin;",
  "&notit;",
  '"quoted"',
  "'single'",
  "é ü",
  "\u00a0",
  "\u200b",
  "\u0000",
  "\r\n",
  "\n",
  "  ",
  "x",
  "Wort",
  "<",
  ">",
  "&",
  "<3",
  "&#0;",
  "&#xD800;",
  "]]>",
  "-->",
];
function attr(): string {
  const a = pick(ATTRS);
  const r = rnd();
  if (r < 0.15) return ` ${a}`;
  const v = pick(VALUES);
  if (r < 0.55) return ` ${a}="${v.replaceAll('"', "&quot;")}"`;
  if (r < 0.8) return ` ${a}='${v.replaceAll("'", "&#39;")}'`;
  return ` ${a}=${v.replace(/[\s>]/g, "")}`;
}
const GOOD: Record<string, string[]> = {
  a: ["href", "title", "rel", "name"],
  img: ["src", "alt", "title", "width", "height", "srcset"],
  source: ["srcset", "type", "media", "src"],
  abbr: ["title"],
  time: ["datetime"],
  th: ["colspan", "rowspan"],
  td: ["colspan", "rowspan"],
  h1: ["id"],
};
function goodTag(): string {
  const tag = pick(Object.keys(GOOD));
  let t = `<${tag}`;
  const n = Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const a = pick(GOOD[tag]!);
    const v = rnd() < 0.2 ? "" : pick(VALUES);
    t += rnd() < 0.1 ? ` ${a}` : ` ${a}="${v.replaceAll('"', "&quot;")}"`;
  }
  return t + (rnd() < 0.1 ? "/>" : ">");
}
function token(): string {
  const r = rnd();
  if (r < 0.25) return goodTag();
  if (r < 0.3) return pick(TEXTS);
  if (r < 0.55) {
    let t = `<${pick(TAGS)}`;
    const n = Math.floor(rnd() * 3);
    for (let i = 0; i < n; i++) t += attr();
    return t + (rnd() < 0.1 ? "/>" : ">");
  }
  if (r < 0.8) return `</${pick(TAGS)}${rnd() < 0.1 ? " " : ""}>`;
  return pick([
    "<!-- c -->",
    "<!---->",
    "<!doctype html>",
    "<![CDATA[x<y]]>",
    "<?xml x?>",
    "</br>",
    "<br/>",
    "<br></br>",
    "<p/>",
    "</>",
    "< p>",
    "<p",
    "<a href=x",
    "<img src=x>",
    "<img>",
    "<img src=''>",
    "<img src='javascript:x'>",
    "<a>link</a>",
    "<h1>T</h1>",
    "<script>x<y</script>",
    "<style>p{}</style>",
    "<textarea><b>t</b></textarea>",
    "<svg><style>s</style><p>q</svg>",
    "<math><mi>x</mi></math>",
    "<table><td>c</table>",
    "<select><option>o<p>p</select>",
    "<title>t</title>",
    "<noscript><p>n</p></noscript>",
    "<template><p>t</p></template>",
    "<xmp><b>x</b></xmp>",
    "<plaintext><b>",
  ]);
}

const BASES = [null, "https://example.org/a/b.html", "http://x.test/", "not a url", "https://ex.org/dir/?q=1#f"];

/** sanitize-html with feedwerk's options, its link transforms resolving against `base`. */
function reference(html: string, base: string | null): string {
  const absolute = (value: string | undefined) => {
    if (!value) return value;
    try {
      return new URL(value, base ?? undefined).toString();
    } catch {
      return undefined;
    }
  };
  return sanitize(html, {
    ...SANITIZE,
    transformTags: {
      h1: "h2",
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, href: absolute(attribs.href) ?? "", rel: "nofollow noopener" } }),
      img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, src: absolute(attribs.src) ?? "" } }),
    },
  });
}

describe("the sanitiser", () => {
  it("gives sanitize-html's output for 20,000 generated fragments", () => {
    const differing: { html: string; base: string | null; want: string; got: string }[] = [];
    for (let n = 0; n < 20_000; n++) {
      let html = "";
      for (let i = 1 + Math.floor(rnd() * 20); i > 0; i--) html += token();
      const base = pick(BASES);
      const want = reference(html, base);
      const got = sanitizeFragment(html, base);
      if (got !== want && differing.length < 5) differing.push({ html, base, want, got });
      const both = sanitizeWithText(html, base);
      if ((both.html !== sanitizeContent(html, base) || both.text !== plainText(html)) && differing.length < 5)
        differing.push({ html, base, want: `${sanitizeContent(html, base)} | ${plainText(html)}`, got: `${both.html} | ${both.text}` });
    }
    expect(differing).toEqual([]);
  });

  it("drops scripts, handlers and javascript: links as sanitize-html does", () => {
    const html = `<p onclick="x()">a<script>alert(1)</script><a href="javascript:alert(1)">b</a><img src=x onerror=y><iframe src=//e></iframe></p>`;
    expect(sanitizeFragment(html, "https://example.org/")).toBe(reference(html, "https://example.org/"));
    expect(sanitizeFragment(html, "https://example.org/")).toBe('<p>a<a>b</a><img src="https://example.org/x" /></p>');
  });
});
