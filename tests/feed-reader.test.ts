/**
 * Data-driven: every tests/feeds/NAME.{xml,json} is read as fetched from
 * https://feeds.example.net/NAME and must give exactly the items of
 * NAME.expected.json, and is broken (feedparser's bozo) exactly when it
 * says so. The feeds of the reading rules (encodings, broken XML, xml:base,
 * plain text) expect what Python's feedparser reads from the same bytes
 * (titles and summaries as the text of its HTML). Hostile and
 * unrecoverable documents give clear errors.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FeedFormatError } from "../src/input/feed/errors";
import { plainText } from "../src/input/feed/html";
import { entryMarkup } from "../src/input/feed/inline-markup";
import { readFeedDocument } from "../src/input/feed/read-feed";
import { feedItems } from "../src/input/feed/to-items";
import type { Media } from "../src/normalise/item";

const dir = join(import.meta.dirname, "feeds");

interface Expected {
  feed: string;
  fetchedAt: string;
  ttlMinutes?: number;
  /** The document is broken (not well-formed, or not in the encoding it declares); false if absent. */
  bozo?: boolean;
  bozoContains?: string;
  items: {
    title: string;
    url: string | null;
    publishedAt: string | null;
    agency: string | null;
    tags: string[];
    summaryContains?: string;
    contentContains?: string[];
    contentExcludes?: string[];
    /** The entry's markup shows nothing (an empty paragraph): the item has no content, only its headline and summary. */
    noContent?: boolean;
    /** The item's kind, where it matters: "article" only where the entry's own content shows something. */
    kind?: "article" | "teaser";
    /** Enclosures and thumbnail; left out where the entry has none. */
    media?: Media;
  }[];
}

async function read(bytes: Uint8Array, name: string, fetchedAt: Date, contentType: string | null = null) {
  const feed = await readFeedDocument(bytes, contentType);
  const url = `https://feeds.example.net/${name}`;
  return { feed, items: feedItems(feed, url, url, fetchedAt) };
}

for (const file of readdirSync(dir).filter((f) => f.endsWith(".expected.json"))) {
  const want = JSON.parse(readFileSync(join(dir, file), "utf8")) as Expected;
  describe(`feed ${want.feed}`, () => {
    it("gives the expected items", async () => {
      const { feed, items } = await read(new Uint8Array(readFileSync(join(dir, want.feed))), want.feed, new Date(want.fetchedAt));
      if (want.ttlMinutes !== undefined) expect(feed.ttlMinutes).toBe(want.ttlMinutes);
      expect(feed.bozo !== undefined, `bozo: ${feed.bozo}`).toBe(want.bozo ?? false);
      if (want.bozoContains) expect(feed.bozo).toContain(want.bozoContains);
      // never decoded into replacement characters, never control characters left in
      expect(JSON.stringify(items)).not.toMatch(/\uFFFD|[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
      expect(items.map((i) => i.title)).toEqual(want.items.map((i) => i.title));
      want.items.forEach((w, n) => {
        const got = items[n]!;
        expect(got.url, w.title).toBe(w.url);
        expect(got.publishedAt?.toISOString() ?? null, w.title).toBe(w.publishedAt ? new Date(w.publishedAt).toISOString() : null);
        expect(got.precision).toBe(w.publishedAt ? "absolute" : "none");
        expect(got.agency, w.title).toBe(w.agency);
        expect(
          got.tags.map((t) => t.label),
          w.title,
        ).toEqual(w.tags);
        if (w.summaryContains) expect(got.summary).toContain(w.summaryContains);
        for (const c of w.contentContains ?? []) expect(got.contentHtml).toContain(c);
        for (const c of w.contentExcludes ?? []) expect(got.contentHtml ?? "").not.toContain(c);
        if (w.noContent) expect([got.contentHtml, got.kind], w.title).toEqual([null, "teaser"]);
        if (w.kind) expect(got.kind, w.title).toBe(w.kind);
        expect(got.media, w.title).toEqual(w.media ?? null);
        expect(got.guid).toMatch(/^urn:feedwerk:item:[0-9a-f]{32}$/);
      });
    });
  });
}

describe("feed documents in other encodings and shapes", () => {
  const rss2 = readFileSync(join(dir, "rss2.xml"), "utf8");

  it("reads UTF-16 with and without a byte-order mark", async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rss2.replace('encoding="UTF-8"', 'encoding="UTF-16"'), "utf16le")]);
    expect((await read(new Uint8Array(le), "u16", new Date())).items[0]!.title).toBe("Tom & Jerry <3 – Premiere in Köln");
    const noBom = Buffer.from(rss2.replace('encoding="UTF-8"', 'encoding="UTF-16"'), "utf16le");
    expect((await read(new Uint8Array(noBom), "u16", new Date())).items[0]!.title).toBe("Tom & Jerry <3 – Premiere in Köln");
  });

  it("takes the HTTP charset over the XML declaration", async () => {
    const doc =
      '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>https://l.example/</link>' +
      "<description>d</description><item><title>Grüße aus Köln</title><link>https://l.example/1</link></item></channel></rss>";
    const latin = new Uint8Array(Buffer.from(doc, "latin1"));
    const { feed, items } = await read(latin, "l", new Date(), "application/rss+xml; charset=ISO-8859-1");
    expect(items[0]!.title).toBe("Grüße aus Köln");
    expect(feed.bozo).toBeUndefined();
    // without the header the bytes are not the UTF-8 they declare: read as windows-1252, and the feed is broken
    const guessed = await read(latin, "l", new Date());
    expect(guessed.items[0]!.title).toBe("Grüße aus Köln");
    expect(guessed.feed.bozo).toBe("document declared as utf-8, but parsed as windows-1252");
  });

  it("reads windows-1252 behind a UTF-8 byte-order mark as windows-1252, and calls the feed broken", async () => {
    const doc =
      '<rss version="2.0"><channel><title>t</title><link>https://l.example/</link><description>d</description>' +
      "<item><title>„Grüße“</title><link>https://l.example/1</link></item></channel></rss>";
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(doc.replace("„", "\x84").replace("“", "\x93"), "latin1")]);
    const { feed, items } = await read(bytes, "bom", new Date());
    expect(items[0]!.title).toBe("„Grüße“");
    expect(feed.bozo).toBe("document declared as utf-8, but parsed as windows-1252");
  });

  it("reads UTF-8 declared as ISO-8859-1 as UTF-8, as feedparser does", async () => {
    const doc =
      '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>t</title><link>https://l.example/</link>' +
      "<description>d</description><item><title>Grüße</title><link>https://l.example/1</link></item></channel></rss>";
    const { feed, items } = await read(new TextEncoder().encode(doc), "l", new Date());
    expect(items[0]!.title).toBe("Grüße");
    expect(feed.bozo).toBeUndefined();
  });

  it("does not call a sound document broken for what CDATA sections and comments hold", async () => {
    const doc =
      '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://l.example/</link><description>d</description>' +
      "<!-- Tom & Jerry &nbsp; --><item><title><![CDATA[Tom & Jerry&nbsp;<3]]></title><link>https://l.example/1</link>" +
      "<description><![CDATA[<p>a&nbsp;b &amp; c</p>]]></description></item></channel></rss>\n<!-- generated -->\n";
    const { feed, items } = await read(new TextEncoder().encode(doc), "cdata", new Date());
    expect(feed.bozo).toBeUndefined();
    expect(items.map((i) => [i.title, i.summary])).toEqual([["Tom & Jerry <3", "a b & c"]]);
  });

  it("reads a document in an encoding nobody knows as UTF-8, and calls it broken", async () => {
    const doc =
      '<?xml version="1.0" encoding="x-klingon"?><rss version="2.0"><channel><title>t</title><link>https://l.example/</link>' +
      "<description>d</description><item><title>Grüße</title><link>https://l.example/1</link></item></channel></rss>";
    const { feed, items } = await read(new TextEncoder().encode(doc), "klingon", new Date());
    expect(items[0]!.title).toBe("Grüße");
    expect(feed.bozo).toBe("document declared as x-klingon (unknown), but parsed as utf-8");
  });

  it("cuts a headline of thousands of words to a thousand characters, at a word", async () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `wort${i}`).join(" ");
    const xml = `<rss version="2.0"><channel><title>t</title><link>https://x.example/</link><description>d</description><item><title>${words}</title><link>https://x.example/1</link><description>Kurz.</description></item></channel></rss>`;
    const [item] = feedItems(await readFeedDocument(new TextEncoder().encode(xml)), "long", "https://x.example/feed", new Date("2025-12-10T12:00:00Z"));
    expect(item!.title.length).toBeLessThanOrEqual(1_002);
    expect(item!.title).toMatch(/^wort0 wort1 .* wort\d+ …$/);
    expect(words.startsWith(item!.title.slice(0, -2))).toBe(true);
    // an entry known by its text alone keeps the key of its whole headline: two that differ past the cut stay two
    const twins = ["A", "B"].map((end) => `<item><title>${words} ${end}</title><description>Kurz.</description></item>`).join("");
    const both = feedItems(
      await readFeedDocument(new TextEncoder().encode(xml.replace(/<item>.*<\/item>/, twins))),
      "long",
      "https://x.example/feed",
      new Date("2025-12-10T12:00:00Z"),
    );
    expect(both.map((i) => i.title)).toEqual([item!.title, item!.title]);
    expect(new Set(both.map((i) => i.id)).size).toBe(2);
  });

  it("reads past forty comments before the root, feed or not, without trying every way to split them", async () => {
    // each check of a document's start once backtracked over every split of a run of comments: 40 took hours
    const comments = "<!--a--> <!-- b-c -->".repeat(20);
    const feed = `${comments}<rss version="2.0"><channel><title>t</title><link>https://x.example/</link><description>d</description><item><title>A</title><link>https://x.example/a</link></item></channel></rss>`;
    expect((await readFeedDocument(new TextEncoder().encode(feed))).entries).toHaveLength(1);
    const atom = `<?xml version="1.0"?>${comments}<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>x</id><title>A</title></entry></feed>`;
    expect((await readFeedDocument(new TextEncoder().encode(atom))).format).toBe("atom");
    await expect(readFeedDocument(new TextEncoder().encode(`${comments}<foo>`))).rejects.toThrow(FeedFormatError);
    await expect(readFeedDocument(new TextEncoder().encode(`<?xml version="1.0"?>${comments}<!DOCTYPE html><html></html>`))).rejects.toThrow(
      /^a web page, not a feed/,
    );
  });

  it("says a web page is not a feed, and which feeds it names, as absolute addresses", async () => {
    const page = `<!-- cached --><!DOCTYPE html><html><head><title>Blog</title>
      <link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
      <link rel="Alternate stylesheet" type="application/atom+xml" href="https://blog.example/atom">
      <link rel="alternate" type="text/html" hreflang="en" href="/en/">
      <link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body><p>Hallo</p></body></html>`;
    const read = (text: string, url?: string) => readFeedDocument(new TextEncoder().encode(text), "text/html; charset=utf-8", url);
    await expect(read(page, "https://blog.example/posts/")).rejects.toThrow(
      new FeedFormatError(
        'a web page, not a feed; it names these feeds: https://blog.example/feed.xml, https://blog.example/atom: follow one of those instead, or read the page itself as a page of teasers (`sources add --page URL`, or "page": true in a sources file)',
      ),
    );
    await expect(read(page)).rejects.toThrow("it names these feeds: /feed.xml, https://blog.example/atom:");
    await expect(read("<html><head></head><body>Nur Text</body></html>", "https://x.example/")).rejects.toThrow(
      new FeedFormatError('a web page, not a feed, and it names none (no <link rel="alternate" type="application/rss+xml">)'),
    );
  });

  it("folds duplicate entries into one item", async () => {
    const { items } = await read(new TextEncoder().encode(rss2), "rss2.xml", new Date());
    expect(items).toHaveLength(2);
  });

  it("keeps at most 10 tags per entry and 100 per feed, however many categories a feed lists", async () => {
    const entries = Array.from({ length: 30 }, (_, e) => {
      const categories = Array.from({ length: 40 }, (_, c) => `<category>Thema ${e}-${c}</category>`).join("");
      return `<item><title>Meldung ${e}</title><link>https://flood.example/${e}</link>${categories}<category>Alle</category></item>`;
    });
    const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>Flut</title><link>https://flood.example/</link><description>x</description>${entries.join("")}</channel></rss>`;
    const { items } = await read(new TextEncoder().encode(xml), "flood.xml", new Date());
    expect(items).toHaveLength(30);
    expect(Math.max(...items.map((i) => i.tags.length))).toBe(10);
    expect(new Set(items.flatMap((i) => i.tags.map((t) => t.slug))).size).toBe(100);
    // the first entries keep theirs, in the feed's order
    expect(items.find((i) => i.title === "Meldung 0")!.tags.map((t) => t.label)).toEqual(Array.from({ length: 10 }, (_, c) => `Thema 0-${c}`));
  });

  it("keeps at most 10 enclosures per entry, each file once, however many a feed lists", async () => {
    const enclosures = Array.from({ length: 3000 }, (_, n) => `<enclosure url="https://files.example/${n % 2 ? n : 0}.mp3" length="${n}" type="audio/mpeg"/>`);
    const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>Flut</title><link>https://flood.example/</link><description>x</description>
<item><title>Viele Dateien</title><link>https://flood.example/1</link>${enclosures.join("")}</item></channel></rss>`;
    const { items } = await read(new TextEncoder().encode(xml), "flood.xml", new Date());
    expect(items[0]!.media!.enclosures.map((e) => e.url)).toEqual(
      ["0", "1", "3", "5", "7", "9", "11", "13", "15", "17"].map((n) => `https://files.example/${n}.mp3`),
    );
    // a repeated file's unknown size (length="0" at its first mention) is taken from the next mention that knows it
    expect(items[0]!.media!.enclosures[0]!.length).toBe(2);
    expect(items[0]!.media!.enclosures[1]!.length).toBe(1);
  });

  it.each([
    ["1:02:03", 3723],
    ["01:02:03", 3723],
    ["45:30", 2730],
    ["90:00", 5400],
    ["600", 600],
    ["59.6", 60],
    ["0:00:07.4", 7],
    ["1:60:00", null],
    ["2:75", null],
    ["-5", null],
    ["1h 20m", null],
    ["", null],
  ])("reads the itunes:duration %j as %j seconds", async (duration, seconds) => {
    const xml = `<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>p</title><link>https://p.example/</link><description>x</description>
<item><title>Folge</title><link>https://p.example/1</link><enclosure url="https://p.example/1.mp3" length="1" type="audio/mpeg"/><itunes:duration>${duration}</itunes:duration></item></channel></rss>`;
    const { items } = await read(new TextEncoder().encode(xml), "p.xml", new Date());
    expect(items[0]!.media!.enclosures[0]!.durationSeconds).toBe(seconds);
  });

  it("refuses enclosures that are not http(s), carry credentials or are absurdly long", async () => {
    const urls = [
      "file:///etc/passwd",
      "data:audio/mpeg;base64,AAAA",
      "https://user:secret@files.example/a.mp3",
      `https://files.example/${"a".repeat(3000)}.mp3`,
      "vbscript:x",
      "//files.example/ok.mp3",
    ];
    const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>p</title><link>https://p.example/</link><description>x</description>
<item><title>Folge</title><link>https://p.example/1</link>${urls.map((u) => `<enclosure url="${u}" length="1" type="audio/mpeg"/>`).join("")}</item></channel></rss>`;
    const { items } = await read(new TextEncoder().encode(xml), "p.xml", new Date());
    expect(items[0]!.media!.enclosures.map((e) => e.url)).toEqual(["https://files.example/ok.mp3"]);
  });

  it.each([
    [
      "malformed XML with no entry in it",
      '<rss version="2.0"><channel><title>x & y</title></chan',
      /^not a readable RSS or Atom feed: unescaped & at line 1, and no entry could be recovered$/,
    ],
    ["a truncated feed with no entry", '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n<title>Leer</title>\n<entr', /truncated/],
    ["HTML", "<!doctype html><html><body><p>Hallo</p></body></html>", /^a web page, not a feed, and it names none/],
    ["broken HTML", "<html><body><p>Hallo & Tschüss</body></html>", /^a web page, not a feed, and it names none/],
    // rss-parser stumbles over a link without attributes (a TypeError inside it): said in words, not its internals
    [
      "a feed rss-parser cannot take apart",
      '<feed xmlns="http://www.w3.org/2005/Atom"><link>https://x.example/</link><entry><id>a</id></entry></feed>',
      /^not a readable RSS or Atom feed: its elements are not where RSS or Atom put them$/,
    ],
    ["plain text", "Hallo Welt", /neither XML nor JSON/],
    ["JSON that is not a feed", '{"hello": "world"}', /not a JSON Feed/],
    ["broken JSON", '{"version": "https://jsonfeed.org/version/1.1", ', /not valid JSON/],
  ])("refuses %s with a reason", async (_name, text, reason) => {
    const error = await read(new TextEncoder().encode(text), "bad", new Date()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedFormatError);
    expect((error as Error).message).toMatch(reason);
  });

  it("does not expand entities declared in a DTD (billion laughs)", async () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE rss [ <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">',
      ...Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`),
      "]>",
      '<rss version="2.0"><channel><title>lol</title><link>https://lol.example/</link><description>x</description>',
      "<item><title>&j;</title><link>https://lol.example/1</link></item></channel></rss>",
    ].join("\n");
    const started = Date.now();
    const result: Awaited<ReturnType<typeof read>> | Error = await read(new TextEncoder().encode(lol), "lol", new Date()).catch((e: Error) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    if (result instanceof Error) expect(result).toBeInstanceOf(FeedFormatError);
    else for (const item of result.items) expect(item.title.length).toBeLessThan(1_000);
  });
});

describe("inline markup of Atom's xhtml type", () => {
  const doc = (content: string) => `<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml">${content}</content></entry></feed>`;
  it.each([
    ['<div xmlns="http://www.w3.org/1999/xhtml">a <div>b</div> c</div>', "a <div>b</div> c"],
    ["<div>a</div><div>b</div>", "<div>a</div><div>b</div>"],
    ["<div/>x", "<div/>x"],
    [" <x:div xmlns:x='http://www.w3.org/1999/xhtml'><x:p>p<![CDATA[ <3 ]]></x:p></x:div> ", "<p>p &lt;3 </p>"],
  ])("%j is %j", (content, html) => {
    expect(entryMarkup(doc(content))).toEqual([{ content: html }]);
  });
});

describe("plain text of HTML", () => {
  it.each([
    ["1930ft<sup>2</sup>", "1930ft2"],
    ["H<sub>2</sub>O", "H2O"],
    ["<b>fett</b>und<i>kursiv</i>, <span>ein</span><a href=x>Link</a><code>()</code>", "fettundkursiv, einLink()"],
    ["<p>eins</p><p>zwei</p>", "eins zwei"],
    ["Zeile<br>Umbruch<br/>noch eine", "Zeile Umbruch noch eine"],
    ["<ul><li>a</li><li>b</li></ul><h3>c</h3><div>d</div><table><tr><td>e</td><td>f</td></tr></table>", "a b c d e f"],
    ["&amp;lt;b&amp;gt;", "&lt;b&gt;"],
    ["&eacute;t&eacute; &copy; 2025 &#x2014; &#8211; &nbsp;x", "été © 2025 — – x"],
    ["Tom & Jerry <3", "Tom & Jerry <3"],
    ["x<script>alert(1)</script><style>p{}</style>y<!-- z -->", "xy"],
    // a tag name written as text, never closed, hides nothing after it
    ["Wie man <script> einbindet", "Wie man einbindet"],
    ["Das <template>-Element erklärt", "Das -Element erklärt"],
    ["  viel \n\t Raum  ", "viel Raum"],
  ])("%j is %j", (html, text) => {
    expect(plainText(html)).toBe(text);
  });
});
