/** The feed checks themselves: each must refuse a feed that breaks its rule. */
import { describe, expect, it } from "vitest";
import { expectValidAtom, expectValidJsonFeed, expectValidRss } from "./support/feeds";

const atom = (entry: string, feedExtra = "") => `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x:feed</id><title>t</title><updated>2025-01-01T00:00:00Z</updated>
<link rel="self" href="https://x.org/f.atom"/>${feedExtra}${entry}</feed>`;
const entry = (inner: string) => `<entry><id>urn:x:1</id><title>e</title><updated>2025-01-01T00:00:00Z</updated>${inner}</entry>`;
const rss = (
  item: string,
  channelExtra = '<atom:link href="https://x.org/f.xml" rel="self" type="application/rss+xml"/>',
) => `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>t</title><link>https://x.org/</link><description>d</description>${channelExtra}${item}</channel></rss>`;
const podcast = (item: string) =>
  rss(item).replace(
    '<rss version="2.0"',
    '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:media="http://search.yahoo.com/mrss/"',
  );
const item = (inner: string) =>
  `<item><title>i</title><link>https://x.org/i</link><guid isPermaLink="false">urn:x:1</guid><pubDate>Wed, 01 Jan 2025 00:00:00 GMT</pubDate>${inner}</item>`;

describe("the Atom check", () => {
  it("accepts a minimal valid feed", async () => {
    await expectValidAtom(atom(entry('<author><name>a</name></author><content type="html">x</content>')));
  });
  it.each([
    ["an entry without updated", atom("<entry><id>urn:x:1</id><title>e</title><author><name>a</name></author></entry>")],
    [
      "a date that is not RFC 3339",
      atom(entry("<author><name>a</name></author>").replace("2025-01-01T00:00:00Z</updated></entry>", "01.01.2025</updated></entry>")),
    ],
    ["an entry with no author anywhere", atom(entry('<content type="html">x</content>'))],
    ["an unknown Atom element", atom(entry("<author><name>a</name></author><colour>red</colour>"))],
    ["a category without term", atom(entry('<author><name>a</name></author><category label="x"/>'))],
    [
      "two alternate links of one type",
      atom(entry('<author><name>a</name></author><link href="https://x.org/1" type="text/html"/><link href="https://x.org/2" type="text/html"/>')),
    ],
    [
      "an enclosure length that is not a count",
      atom(entry('<author><name>a</name></author><link rel="enclosure" href="https://x.org/a.mp3" type="audio/mpeg" length="-1"/>')),
    ],
    ["an enclosure that is not http(s)", atom(entry('<author><name>a</name></author><link rel="enclosure" href="ftp://x.org/a.mp3" type="audio/mpeg"/>'))],
    [
      "a thumbnail without the Media RSS namespace",
      atom(entry('<author><name>a</name></author><media:thumbnail xmlns:media="urn:x:not-media" url="https://x.org/t.jpg"/>')),
    ],
  ])("refuses %s", async (_name, xml) => {
    await expect(expectValidAtom(xml)).rejects.toThrow();
  });
});

describe("the RSS check", () => {
  it("accepts a minimal valid feed", async () => {
    await expectValidRss(rss(item("")));
  });
  it("accepts a podcast episode", async () => {
    const episode = item(
      '<enclosure url="https://x.org/a.mp3" length="0" type="audio/mpeg"/><itunes:duration>3723</itunes:duration><media:thumbnail url="https://x.org/t.jpg" width="64"/>',
    );
    await expectValidRss(podcast(episode));
  });
  it.each([
    ["a feed without a self link", rss(item(""), "")],
    ["an <author> that is not an e-mail address", rss(item("<author>dpa</author>"))],
    ["a date that is not RFC 822", rss(item("").replace("Wed, 01 Jan 2025 00:00:00 GMT", "2025-01-01T00:00:00Z"))],
    ["a permalink guid that is no URL", rss(item("").replace('<guid isPermaLink="false">', "<guid>"))],
    ["a control character", rss(item("<description>\u0001</description>"))],
    ["markup that is not well-formed", rss(item("<description>a <b> c</description>"))],
    [
      "two enclosures in one item",
      podcast(item('<enclosure url="https://x.org/a.mp3" length="1" type="audio/mpeg"/><enclosure url="https://x.org/b.mp3" length="1" type="audio/mpeg"/>')),
    ],
    ["an enclosure without length", podcast(item('<enclosure url="https://x.org/a.mp3" type="audio/mpeg"/>'))],
    ["an enclosure without type", podcast(item('<enclosure url="https://x.org/a.mp3" length="1"/>'))],
    ["an enclosure with a relative URL", podcast(item('<enclosure url="a.mp3" length="1" type="audio/mpeg"/>'))],
    [
      "an itunes:duration that is no duration",
      podcast(item('<enclosure url="https://x.org/a.mp3" length="1" type="audio/mpeg"/><itunes:duration>lang</itunes:duration>')),
    ],
    ["itunes:duration without the iTunes namespace", rss(item('<itunes:duration xmlns:itunes="urn:x:other">12</itunes:duration>'))],
    ["a media:content size that is not a count", podcast(item('<media:content url="https://x.org/a.mp4" fileSize="1.5"/>'))],
    ["a media:thumbnail that is not http(s)", podcast(item('<media:thumbnail url="javascript:alert(1)"/>'))],
  ])("refuses %s", async (_name, xml) => {
    await expect(expectValidRss(xml)).rejects.toThrow();
  });
});

describe("the JSON Feed check", () => {
  const valid = { version: "https://jsonfeed.org/version/1.1", title: "t", items: [{ id: "1", content_html: "<p>x</p>" }] };
  it("accepts a minimal valid feed", () => expectValidJsonFeed(valid));
  it.each([
    ["version 1.0", { ...valid, version: "https://jsonfeed.org/version/1" }],
    ["an item without content", { ...valid, items: [{ id: "1" }] }],
    ["a numeric id", { ...valid, items: [{ id: 1, content_html: "x" }] }],
    ["a date that is not RFC 3339", { ...valid, items: [{ id: "1", content_html: "x", date_published: "gestern" }] }],
    ["author instead of authors (1.0 style) unprefixed", { ...valid, items: [{ id: "1", content_html: "x", author: { name: "a" } }] }],
    ["an attachment without mime_type", { ...valid, items: [{ id: "1", content_html: "x", attachments: [{ url: "https://x.org/a.mp3" }] }] }],
    [
      "an attachment size that is not a count",
      { ...valid, items: [{ id: "1", content_html: "x", attachments: [{ url: "https://x.org/a.mp3", mime_type: "audio/mpeg", size_in_bytes: "12" }] }] },
    ],
    [
      "a negative attachment duration",
      { ...valid, items: [{ id: "1", content_html: "x", attachments: [{ url: "https://x.org/a.mp3", mime_type: "audio/mpeg", duration_in_seconds: -1 }] }] },
    ],
    [
      "an attachment that is not http(s)",
      { ...valid, items: [{ id: "1", content_html: "x", attachments: [{ url: "data:audio/mpeg,x", mime_type: "audio/mpeg" }] }] },
    ],
    ["an image that is not http(s)", { ...valid, items: [{ id: "1", content_html: "x", image: "javascript:alert(1)" }] }],
  ])("refuses %s", (_name, feed) => {
    expect(() => expectValidJsonFeed(feed as Record<string, unknown>)).toThrow();
  });
});
