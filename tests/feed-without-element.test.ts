/**
 * A feed document with no element at all (only the XML declaration: a body cut short) is refused as
 * unreadable at once, like an empty one, and leaves nothing behind that would answer for the next document.
 */
import { describe, expect, it } from "vitest";
import { FeedFormatError } from "../src/input/feed/errors";
import { readFeed } from "../src/input/feed/read-feed";

const rss = (n: number) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${n}</title><link>https://f${n}.example.org/</link><description>d</description>` +
  `<item><title>Meldung aus Feed ${n}</title><link>https://f${n}.example.org/1</link><guid>f${n}-1</guid></item></channel></rss>`;

describe("a feed document without an element", () => {
  for (const body of ['<?xml version="1.0" encoding="gb2312"?>', '<?xml version="1.0"?>\n<!-- nothing -->\n', "<!-- only a comment -->"]) {
    it(`is refused, and the next document is read as itself: ${JSON.stringify(body)}`, async () => {
      expect((await readFeed(rss(1))).title).toBe("Feed 1");
      const refused = await readFeed(body).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(FeedFormatError);
      const next = await readFeed(rss(2));
      expect(next.title).toBe("Feed 2");
      expect(next.entries.map((e) => e.title)).toEqual(["Meldung aus Feed 2"]);
    });
  }
});
