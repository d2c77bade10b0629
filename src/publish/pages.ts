/**
 * The HTML pages for people: the index of tags, a tag's page and an item's
 * page. Built with hono/html, which escapes every interpolated value; only
 * item content, which feedwerk itself produced as escaped HTML, goes in raw.
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { isoSeconds } from "../normalise/item";
import type { FeedItem, TagSummary } from "../storage/queries";
import { contentHtmlOf, feedUrl, itemUrl } from "./feed-model";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
a{color:#0645ad}h1{font-size:1.6rem}ul{padding-left:1.2rem}.meta{color:#666;font-size:.9rem}.feeds a{margin-right:.6rem}`;

function layout(title: string, head: Html | string, body: Html): Html {
  return html`<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${raw(STYLE)}</style>
${head}
</head>
<body>
${body}
</body>
</html>`;
}

function feedLinks(base: string, slug: string, label: string): Html {
  return html`<link rel="alternate" type="application/rss+xml" title="${label} (RSS)" href="${feedUrl(base, slug, "rss")}">
<link rel="alternate" type="application/atom+xml" title="${label} (Atom)" href="${feedUrl(base, slug, "atom")}">
<link rel="alternate" type="application/feed+json" title="${label} (JSON Feed)" href="${feedUrl(base, slug, "json")}">`;
}

function meta(item: FeedItem): Html {
  const when = item.publishedAt ?? item.firstSeenAt;
  return html`<p class="meta"><time datetime="${isoSeconds(when)}">${isoSeconds(when)}</time>${item.agency ? html` · ${item.agency}` : ""}${item.dateline ? html` · ${item.dateline}` : ""}</p>`;
}

export function indexPage(base: string, tags: TagSummary[], newest: FeedItem[]): Html {
  return layout(
    "feedwerk",
    html`${feedLinks(base, "all", "Alle Meldungen")}
<link rel="outline" type="text/x-opml" title="Alle Themen (OPML)" href="${base}/feeds.opml">`,
    html`<h1>feedwerk</h1>
<p>Ein Feed für jedes Thema: RSS, Atom und JSON Feed. Alle Themen auf einmal abonnieren: <a href="${base}/feeds.opml">OPML</a>; alle Meldungen: <span class="feeds"><a href="${feedUrl(base, "all", "rss")}">RSS</a><a href="${feedUrl(base, "all", "atom")}">Atom</a><a href="${feedUrl(base, "all", "json")}">JSON</a></span></p>
<h2>Themen</h2>
<ul class="tags">
${tags.map(
  (t) => html`<li class="tag"><a href="${base}/feeds/${t.slug}">${t.label}</a> (${t.items}) <span class="feeds"><a href="${feedUrl(base, t.slug, "rss")}">RSS</a><a href="${feedUrl(base, t.slug, "atom")}">Atom</a><a href="${feedUrl(base, t.slug, "json")}">JSON</a></span></li>
`,
)}</ul>
<h2>Neueste Meldungen</h2>
<ul class="items">
${newest.map((item) => html`<li><a href="${itemUrl(base, item)}">${item.title}</a>${meta(item)}</li>
`)}</ul>`,
  );
}

export function tagPage(base: string, slug: string, label: string, items: FeedItem[]): Html {
  return layout(
    `${label} · feedwerk`,
    feedLinks(base, slug, label),
    html`<p><a href="${base}/">feedwerk</a></p>
<h1>${label}</h1>
<p class="feeds"><a href="${feedUrl(base, slug, "rss")}">RSS</a><a href="${feedUrl(base, slug, "atom")}">Atom</a><a href="${feedUrl(base, slug, "json")}">JSON Feed</a></p>
<ul>
${items.map((item) => html`<li><a href="${itemUrl(base, item)}">${item.title}</a>${meta(item)}</li>
`)}</ul>`,
  );
}

export function itemPage(base: string, item: FeedItem): Html {
  const firstTag = item.memberOf[0];
  return layout(
    `${item.title} · feedwerk`,
    firstTag ? feedLinks(base, firstTag.slug, firstTag.label) : feedLinks(base, "all", "Alle Meldungen"),
    html`<p><a href="${base}/">feedwerk</a></p>
<article>
${item.kicker ? html`<p class="meta">${item.kicker}</p>` : ""}
<h1>${item.title}</h1>
${meta(item)}
${raw(contentHtmlOf(item))}
${item.commentCount !== null ? html`<p class="meta">${item.commentCount} Kommentare</p>` : ""}
${item.url ? html`<p><a href="${item.url}">Zum Original</a></p>` : ""}
<p class="meta">Themen: ${item.memberOf.map((t, i) => html`${i ? ", " : ""}<a href="${base}/feeds/${t.slug}">${t.label}</a>`)}</p>
</article>`,
  );
}
