/**
 * Accept header negotiation alone: negotiate, which chooses among the page
 * and the three feeds at /feeds/TAG, and wantsBrowserView, which tells a
 * browser's navigation to a feed URL from a feed reader. A table of headers
 * and what each must choose.
 */
import { describe, expect, it } from "vitest";
import { negotiate, wantsBrowserView } from "../../../src/publish/negotiation";

const FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const CHROMIUM = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

describe("negotiate", () => {
  it.each([
    // nothing said, or nothing known: the page
    { accept: null, gets: "html" },
    { accept: "", gets: "html" },
    { accept: "*/*", gets: "html" },
    { accept: "image/png, application/*", gets: "html" },
    // one type each
    { accept: "application/rss+xml", gets: "rss" },
    { accept: "application/atom+xml", gets: "atom" },
    { accept: "application/feed+json", gets: "json" },
    { accept: "application/json", gets: "json" },
    { accept: "application/xml", gets: "rss" },
    { accept: "text/xml", gets: "rss" },
    { accept: "application/xhtml+xml", gets: "html" },
    // case and spaces do not matter
    { accept: "  Application/Atom+XML ; charset=utf-8 ", gets: "atom" },
    // the highest quality wins, whatever its place
    { accept: "application/rss+xml;q=0.5, application/atom+xml", gets: "atom" },
    { accept: "application/atom+xml;q=0.2, application/feed+json;q=0.9, text/html;q=0.5", gets: "json" },
    { accept: "text/html;q=0.8, application/rss+xml;q=0.9", gets: "rss" },
    // a tie goes to the type named first
    { accept: "application/atom+xml, application/rss+xml", gets: "atom" },
    { accept: "application/rss+xml, application/atom+xml", gets: "rss" },
    { accept: "text/html, application/rss+xml", gets: "html" },
    // q=0 refuses a type; a quality that is no number counts as 0
    { accept: "application/atom+xml;q=0, application/rss+xml;q=0.1", gets: "rss" },
    { accept: "application/atom+xml;q=x, application/rss+xml;q=0.1", gets: "rss" },
    { accept: "application/atom+xml;q=0", gets: "html" },
    // browsers get the page
    { accept: FIREFOX, gets: "html" },
    { accept: CHROMIUM, gets: "html" },
  ])("gives $gets for Accept $accept", ({ accept, gets }) => {
    expect(negotiate(accept)).toBe(gets);
  });
});

describe("wantsBrowserView", () => {
  it.each([
    // browsers navigating: text/html and XHTML above every feed type and wildcard
    { accept: FIREFOX, browser: true },
    { accept: CHROMIUM, browser: true },
    { accept: "text/html,application/xhtml+xml", browser: true },
    { accept: "TEXT/HTML, Application/XHTML+XML;q=0.9, */*;q=0.8", browser: true },
    // readers: nothing, feed types, wildcards
    { accept: null, browser: false },
    { accept: "", browser: false },
    { accept: "*/*", browser: false },
    { accept: "application/rss+xml, application/atom+xml;q=0.9, */*;q=0.1", browser: false },
    // text/html first but no XHTML: an HTTP library (Java's HttpURLConnection), which keeps the feed
    { accept: "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", browser: false },
    // text/html and XHTML no higher than a feed type: a reader that lists the page too (Miniflux) keeps the feed
    { accept: "application/rss+xml, application/atom+xml, text/html, application/xhtml+xml", browser: false },
    { accept: "text/html, application/xhtml+xml, */*", browser: false },
    // text/html refused
    { accept: "text/html;q=0, application/xhtml+xml", browser: false },
  ])("says $browser for Accept $accept", ({ accept, browser }) => {
    expect(wantsBrowserView(accept)).toBe(browser);
  });

  it("judges every format of a feed alike", () => {
    for (const format of ["rss", "atom", "json"] as const) {
      expect(wantsBrowserView(FIREFOX, format)).toBe(true);
      expect(wantsBrowserView("application/feed+json", format)).toBe(false);
    }
  });
});
