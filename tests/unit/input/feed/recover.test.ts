/**
 * recoverXml alone: a table of feeds that are not well-formed XML, each
 * with the XML it must be recovered to and the first fault it must name.
 * libxml2 (xmllint-wasm) judges both sides: it refuses every broken input
 * and accepts every recovered output. Also mayHideFaults, the cheap check
 * that decides whether a document needs the recovery pass, and withChannel,
 * which gives a channel-less RSS document its <channel>.
 */
import { validateXML } from "xmllint-wasm";
import { describe, expect, it } from "vitest";
import { mayHideFaults, recoverXml, withChannel } from "../../../../src/input/feed/recover";
import { expectWellFormedXml } from "../../../support/feeds";

const wellFormed = async (xml: string) => (await validateXML({ xml: [{ fileName: "feed.xml", contents: xml }], normalization: "format" })).valid;

const CASES: { broken: string; xml: string; fault: string }[] = [
  {
    broken: "<rss><channel><title>Tom & Jerry</title></channel></rss>",
    xml: "<rss><channel><title>Tom &amp; Jerry</title></channel></rss>",
    fault: "unescaped & at line 1",
  },
  {
    // HTML's entities become their characters; XML's own and character references stay
    broken: "<rss><channel><title>A&nbsp;B &eacute; &amp; &#233; &#x1F600;</title></channel></rss>",
    xml: "<rss><channel><title>A\u00a0B é &amp; &#233; &#x1F600;</title></channel></rss>",
    fault: "undefined entity &nbsp; at line 1",
  },
  {
    broken: "<rss><channel><title>Bad &bogus; x</title></channel></rss>",
    xml: "<rss><channel><title>Bad &amp;bogus; x</title></channel></rss>",
    fault: "undefined entity &bogus; at line 1",
  },
  {
    broken: "<rss><channel><title>x&#1;y</title></channel></rss>",
    xml: "<rss><channel><title>xy</title></channel></rss>",
    fault: "reference to a character XML forbids (&#1;) at line 1",
  },
  {
    broken: "<rss><channel><title>a\u0001b\u000bc</title></channel></rss>",
    xml: "<rss><channel><title>abc</title></channel></rss>",
    fault: "control character at line 1",
  },
  {
    // HTML inside a title or description is kept as escaped HTML
    broken: "<rss><channel><title>Die <b>fette</b> Zeile</title><description>1 < 2</description></channel></rss>",
    xml: "<rss><channel><title>Die &lt;b&gt;fette&lt;/b&gt; Zeile</title><description>1 &lt; 2</description></channel></rss>",
    fault: "unescaped < at line 1",
  },
  {
    // cut off inside an entry: the whole entries stay, the unfinished one loses what it had begun
    broken: "<rss><channel><item><title>One</title></item><item><title>Two</title>",
    xml: "<rss><channel><item><title>One</title></item><item></item></channel></rss>",
    fault: "document ends inside <item> (truncated?) at line 1",
  },
  {
    // cut off between entries: the feed's own elements are closed, and every entry stays
    broken: "<rss><channel><title>News</title><item><title>One</title></item>",
    xml: "<rss><channel><title>News</title><item><title>One</title></item></channel></rss>",
    fault: "document ends inside <channel> (truncated?) at line 1",
  },
  {
    broken: "<feed><title>News</title><entry><title>One</title></entry>",
    xml: "<feed><title>News</title><entry><title>One</title></entry></feed>",
    fault: "document ends inside <feed> (truncated?) at line 1",
  },
  {
    broken: "<rss><channel><item><title>One</title></item><item><title>Tw",
    xml: "<rss><channel><item><title>One</title></item><item><title></title></item></channel></rss>",
    fault: "document ends inside <title> (truncated?) at line 1",
  },
  {
    // an element that lost its end tag loses its unfinished text, as in feedparser
    broken: "<rss><channel><item><title>One</item></channel></rss>",
    xml: "<rss><channel><item><title></title></item></channel></rss>",
    fault: "element <title> not closed at line 1",
  },
  {
    broken: "<rss><channel><title>A</title></channel></rss>junk",
    xml: "<rss><channel><title>A</title></channel></rss>",
    fault: "text after the root element at line 1",
  },
  {
    broken: "<rss><channel><title>A</title></channel></rss><rss/>",
    xml: "<rss><channel><title>A</title></channel></rss>",
    fault: "content after the root element at line 1",
  },
  {
    broken: "<rss version=2.0><channel/></rss>",
    xml: '<rss version="2.0"><channel></channel></rss>',
    fault: "attribute version without quotes at line 1",
  },
  {
    broken: "<feed><1bad>t</1bad><title>x</title></feed>",
    xml: "<feed>t<title>x</title></feed>",
    fault: "invalid element name <1bad> at line 1",
  },
  {
    // the first fault is named, on its own line
    broken: "<rss>\n<channel>\n<title>A &nbsp;</title>\n<title>B & C</title>\n</channel></rss>",
    xml: "<rss>\n<channel>\n<title>A \u00a0</title>\n<title>B &amp; C</title>\n</channel></rss>",
    fault: "undefined entity &nbsp; at line 3",
  },
  {
    // entities a DOCTYPE declares are not expanded: the reference stays as text
    broken: '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x "y">]>\n<rss><channel><title>&x; &ouml;</title></channel></rss>',
    xml: "<rss><channel><title>&amp;x; ö</title></channel></rss>",
    fault: "entity declarations (not expanded) at line 2",
  },
];

describe("recoverXml", () => {
  it.each(CASES)("recovers $broken, naming “$fault”", async ({ broken, xml, fault }) => {
    expect(await wellFormed(broken)).toBe(false);
    const recovered = recoverXml(broken);
    expect(recovered).toEqual({ xml, fault });
    await expectWellFormedXml(recovered.xml);
  });

  it("keeps a prefix no xmlns: declares, but names it as the fault (rss-parser ignores namespaces, feedparser does not)", () => {
    expect(recoverXml("<rss><channel><item><a:b>x</a:b></item></channel></rss>")).toEqual({
      xml: "<rss><channel><item><a:b>x</a:b></item></channel></rss>",
      fault: "unbound namespace prefix a: at line 1",
    });
  });

  it.each([
    { xml: '<rss version="2.0"><channel><title>A</title></channel></rss>', out: '<rss version="2.0"><channel><title>A</title></channel></rss>' },
    {
      xml: '<rss xmlns:a="urn:a"><channel><item><a:b>x &amp; y</a:b></item></channel></rss>',
      out: '<rss xmlns:a="urn:a"><channel><item><a:b>x &amp; y</a:b></item></channel></rss>',
    },
    {
      xml: '<feed><entry><content type="xhtml"><div><b>x</b></div></content></entry></feed>',
      out: '<feed><entry><content type="xhtml"><div><b>x</b></div></content></entry></feed>',
    },
    // what follows the root element is left out: comments and white space only, here
    { xml: "<rss><channel><title>A</title></channel></rss>\n<!-- a comment -->\n", out: "<rss><channel><title>A</title></channel></rss>" },
  ])("finds no fault in well-formed $xml", async ({ xml, out }) => {
    expect(await wellFormed(xml)).toBe(true);
    expect(recoverXml(xml)).toEqual({ xml: out, fault: undefined });
  });

  it("writes CDATA as escaped text", () => {
    expect(recoverXml("<rss><channel><description><![CDATA[<p>a & b</p>]]></description></channel></rss>")).toEqual({
      xml: "<rss><channel><description>&lt;p&gt;a &amp; b&lt;/p&gt;</description></channel></rss>",
      fault: undefined,
    });
  });
});

describe("mayHideFaults", () => {
  it.each([
    { text: "<rss><channel><title>A</title></channel></rss>", may: false },
    { text: "<rss><channel><title>A &amp; B &#233;</title></channel></rss>", may: false },
    { text: "<rss><channel><title><![CDATA[A & B]]></title></channel></rss>", may: false },
    { text: '<rss xmlns:dc="urn:dc"><channel><dc:creator>x</dc:creator></channel></rss>', may: false },
    { text: "<rss><channel><title>x: y</title></channel></rss>", may: false },
    { text: "<rss><channel><title>A & B</title></channel></rss>", may: true },
    { text: "<rss><channel><title>A\u0001</title></channel></rss>", may: true },
    { text: "<rss><channel><title>A</title></channel></rss>junk", may: true },
    { text: "<rss><channel><dc:creator>x</dc:creator></channel></rss>", may: true },
  ])("says $may for $text", ({ text, may }) => {
    expect(mayHideFaults(text)).toBe(may);
  });
});

describe("withChannel", () => {
  it.each([
    { text: '<rss version="2.0"><title>A</title><item/></rss>', out: '<rss version="2.0"><channel><title>A</title><item/></channel></rss>' },
    // on the lines the document has, so that line numbers stay
    {
      text: '<?xml version="1.0"?>\n<rss version="2.0">\n<title>A</title>\n</rss>',
      out: '<?xml version="1.0"?>\n<rss version="2.0"><channel>\n<title>A</title>\n</channel></rss>',
    },
    { text: "<rss><title>A</title>", out: "<rss><channel><title>A</title>" },
    { text: "<rss><channel><title>A</title></channel></rss>", out: "<rss><channel><title>A</title></channel></rss>" },
    { text: "<feed><title>A</title></feed>", out: "<feed><title>A</title></feed>" },
  ])("gives $text a channel where it has none", ({ text, out }) => {
    expect(withChannel(text)).toBe(out);
  });
});
