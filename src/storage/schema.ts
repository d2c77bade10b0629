/**
 * The database schema, the single source of truth for the migrations in
 * drizzle/ (generated with `npm run db:generate`).
 */
import { getTableColumns, sql } from "drizzle-orm";
import { boolean, customType, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import type { ImageInfo, Media, Tag } from "../normalise/item";
import type { Rule } from "../normalise/topic/rules";
import type { TeaserSelectors } from "../normalise/teaser-selectors";

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
/** Written as text in tsvector's input syntax (storage/match-words); never read back by the application. */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/** Where stories come from: the news portal's pages, and the feeds feedwerk follows. */
export const sources = pgTable(
  "sources",
  {
    id: serial("id").primaryKey(),
    kind: text("kind", { enum: ["page", "feed"] }).notNull(),
    /** Unique and never changed: feed entries' identities are namespaced by it. */
    name: text("name").notNull().unique(),
    /** A feed's address; updated when the feed moves permanently. */
    url: text("url"),
    /**
     * The address's origin (scheme, host and port, as `new URL(url).origin` says of an address stored as
     * its href): a poller claims no feed of an origin whose fetches at once are all under way.
     */
    origin: text("origin").generatedAlwaysAs(sql`substring("url" from '^[a-z][a-z0-9+.-]*://[^/?#]*')`),
    /** The feed's own title, from its latest full answer: what an OPML export names it by. */
    title: text("title"),
    createdAt: at("created_at").notNull().defaultNow(),
    /** Tags given to every item of this feed. */
    tags: jsonb("tags").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    etag: text("etag"),
    lastModified: text("last_modified"),
    /** SHA-256 of the last body stored: a feed served again byte for byte, without validators, is not stored again. */
    bodySha256: text("body_sha256"),
    lastFetchAt: at("last_fetch_at"),
    /** "ok", "not modified" or the last error's summary. */
    lastStatus: text("last_status"),
    errorCount: integer("error_count").notNull().default(0),
    lastError: text("last_error"),
    /** Why the last document read was broken (not well-formed, or not in its declared encoding), though its entries were read. */
    parseWarning: text("parse_warning"),
    nextPollAt: at("next_poll_at"),
    /** The feed's own polling interval (ttl or sy:updatePeriod) from its last full answer; kept across 304s. */
    ttlMinutes: integer("ttl_minutes"),
    /** Cache-Control max-age of the last answer that sent one; kept across 304s that send none. */
    maxAgeSeconds: integer("max_age_seconds"),
    /**
     * The poller fetching the feed now ("host pid N"), for the operator; a
     * lease is taken by storage/sources claimFeedSources and given back by
     * the recordFetch that ends the fetch.
     */
    leaseOwner: text("lease_owner"),
    /** New with every claim: a fetch records its result only while the lease it took is still the feed's. */
    leaseToken: text("lease_token"),
    /** Until when the lease holds, by the database's clock; after it another poller may take the feed. */
    leaseUntil: at("lease_until"),
    /** When the feed was last claimed, by the database's clock: `fetch --all` takes the feeds not claimed since it began. */
    leasedAt: at("leased_at"),
    /**
     * The ids of the items this source's latest stored document shows (a feed's entries, a page's stories),
     * what retention keeps however old: feed documents record observations only for what changed, so the
     * latest document's observations do not say what the source lists.
     */
    listing: jsonb("listing").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    /** The fetch time of the document the listing is from: an older document stored later does not replace it. */
    listedAt: at("listed_at"),
    /**
     * How a followed address's documents are read, as a person said: null, by what each document is (a feed as a
     * feed; an HTML page that names no feed, or a news sitemap, as a page); "page", as a page of teasers whatever
     * it names. Never set from what a document turned out to be: a feed that once served a page stays a feed.
     */
    readAs: text("read_as", { enum: ["page"] }),
    /** What the last document read was read as ("feed" or "page"), for `sources list`. */
    lastReadAs: text("last_read_as", { enum: ["feed", "page"] }),
    /** Where a page source's teasers are (input/html/teasers): null, found by the page's own marks. */
    select: jsonb("select").$type<TeaserSelectors | null>(),
    /** Each new story's article page is fetched once and read into it (pipeline/full-text). */
    fullText: boolean("full_text").notNull().default(false),
    /** Article pages of this source that could not be read (fetched, refused or no article): what `sources list` shows. */
    extractFailures: integer("extract_failures").notNull().default(0),
    lastExtractError: text("last_extract_error"),
  },
  (t) => [
    uniqueIndex("sources_url").on(t.url),
    // pollers claim the most overdue feeds first, and `--all` the longest unclaimed: both found through an index, not a scan per claim
    index("sources_due").on(t.nextPollAt, t.id),
    index("sources_leased").on(t.leasedAt.asc().nullsFirst(), t.id),
  ],
);

/** Every ingested document (one page file, one feed fetch). */
export const documents = pgTable(
  "documents",
  {
    id: serial("id").primaryKey(),
    sourceId: integer("source_id")
      .notNull()
      .references(() => sources.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    sha256: text("sha256").notNull(),
    fetchedAt: at("fetched_at").notNull(),
    ingestedAt: at("ingested_at").notNull().defaultNow(),
    itemCount: integer("item_count").notNull(),
  },
  (t) => [
    // one source's content at one fetch time: a page ingested twice is one document, while two feeds serving the
    // same bytes, fetched in the same millisecond by one pass, are two, each with its own observations
    uniqueIndex("documents_source_content_fetch").on(t.sourceId, t.sha256, t.fetchedAt),
    // each source's latest document, which retention keeps (and whose items it keeps), found without a sort
    index("documents_source_latest").on(t.sourceId, t.fetchedAt.desc(), t.id.desc()),
  ],
);

export const items = pgTable(
  "items",
  {
    /** storyKey(): hex, stable for the story, also its item page path. */
    id: text("id").primaryKey(),
    guid: text("guid").notNull().unique(),
    kind: text("kind", { enum: ["article", "teaser"] }).notNull(),
    title: text("title").notNull(),
    kicker: text("kicker"),
    summary: text("summary").notNull(),
    contentHtml: text("content_html"),
    url: text("url"),
    publishedAt: at("published_at"),
    precision: text("precision", { enum: ["none", "week", "day", "hour", "minute", "absolute"] }).notNull(),
    agency: text("agency"),
    dateline: text("dateline"),
    commentCount: integer("comment_count"),
    image: jsonb("image").$type<ImageInfo | null>(),
    /** Enclosures and thumbnail of a feed entry (normalise/item Media). */
    media: jsonb("media").$type<Media | null>(),
    /**
     * The tags the story's sources gave it: the union over every source that
     * shows it of its document's tags and the source's own (see
     * normalise/tag-union). Membership lives in item_tags.
     */
    pageTags: jsonb("page_tags").$type<Tag[]>().notNull().default(sql`'[]'::jsonb`),
    /** comparable(title + summary): what tag labels are matched against. */
    matchText: text("match_text").notNull(),
    /**
     * The words of matchText, each once (storage/match-words): with the German lexemes of title and summary
     * they make the story's entry in the full-text index (itemSearch), which serves both ?q= and a new tag's
     * search for the stories naming it. Written with the row, read only by the indexing (search-index.ts) and
     * by a new tag's search among the stories not indexed yet; items' selections leave it out (itemColumns).
     * With it a story's row is about 2.5 KB: migration 0016 raises the table's toast_tuple_target to 4 KB, so
     * PostgreSQL does not try, in vain, to compress a few hundred bytes of text in every row it inserts.
     */
    matchWords: tsvector("match_words").notNull(),
    /** The feed date: publishedAt, else firstSeenAt. Kept as a column to index it. */
    feedAt: at("feed_at").notNull(),
    firstSeenAt: at("first_seen_at").notNull(),
    updatedAt: at("updated_at").notNull(),
    /**
     * When a source last showed the item, as far as known without an observation per showing: the fetch
     * time of the document that first stored it, moved on when a source's listing drops it (to that
     * listing's time) and when its source is removed. While a listing holds the item it is not moved:
     * sources.listed_at says more. What retention ages items by.
     */
    lastSeenAt: at("last_seen_at"),
    /** Which observation's content the row shows (see normalise/merge). */
    contentHash: text("content_hash").notNull(),
    /** A global rule drops the story: it is in no tag and no feed (normalise/topic/membership). */
    dropped: boolean("dropped").notNull().default(false),
  },
  (t) => [index("items_feed_order").on(t.feedAt.desc(), t.id.desc())],
);

/**
 * The full-text index of the stories, one row each: the German lexemes of title and summary for ?q=
 * (queries.ts), and the exact words for a new tag's candidates (tag-match.ts), each with a GIN index.
 * Written after the storing transaction, from searchQueue (search-index.ts): keeping a GIN index is
 * most of what storing a story costs the database, and done in bulk it holds up no ingestion. No
 * foreign key, so that indexing takes no lock on items: the row of a story deleted meanwhile is left
 * behind and removed by the next prune, and reads join items.
 */
export const itemSearch = pgTable(
  "item_search",
  {
    itemId: text("item_id").primaryKey(),
    /** The German lexemes of title and summary, with their positions: what ?q= searches. */
    lexemes: tsvector("lexemes").notNull(),
    /** The story's match words (items.match_words): what a new tag's search reads. */
    words: tsvector("words").notNull(),
  },
  (t) => [
    // Two indexes, not one over both: GIN merges each key's posting list anew whenever it moves its pending
    // list into the tree, and twice the keys per row cost more than two indexes of half (measured on the
    // benchmark's 50,000 stories: 5.5 s against 3.1 s). Only a new tag's search reads the words, so their
    // index may keep a longer pending list (fewer, larger merges); ?q= keeps the default, since every search
    // reads the pending list through.
    index("item_search_lexemes").using("gin", t.lexemes),
    index("item_search_words").using("gin", t.words).with({ gin_pending_list_limit: 32768 }),
  ],
);

/** Stories stored or changed and not indexed yet (itemSearch): written in the storing transaction, so none is lost between the two. */
export const searchQueue = pgTable("search_queue", {
  itemId: text("item_id").primaryKey(),
  queuedAt: at("queued_at").notNull().defaultNow(),
});

/**
 * What each document said about each story. Items are derived from these
 * (normalise/merge), which makes the result independent of the order in
 * which documents are ingested; texts are kept only on the item itself.
 */
export const observations = pgTable(
  "observations",
  {
    itemId: text("item_id")
      .notNull()
      .references(() => items.id, { onDelete: "cascade" }),
    documentId: integer("document_id")
      .notNull()
      .references(() => documents.id, { onDelete: "cascade" }),
    fetchedAt: at("fetched_at").notNull(),
    kind: text("kind", { enum: ["article", "teaser"] }).notNull(),
    contentHash: text("content_hash").notNull(),
    commentCount: integer("comment_count"),
    publishedAt: at("published_at"),
    precision: text("precision", { enum: ["none", "week", "day", "hour", "minute", "absolute"] }).notNull(),
    /** A feed entry's own id, hashed with its feed's name: which item the entry was stored as. */
    entryKey: text("entry_key"),
    /** The tags the document gave the story (page tags, feed categories), without its source's own. */
    tags: jsonb("tags").$type<Tag[]>().notNull().default(sql`'[]'::jsonb`),
    /**
     * For a story the document gave no time: where its list places it, the oldest time of the stories of its kind
     * the document dates (at most its fetch time). What an undated story is sorted by (normalise/merge).
     */
    untimedAt: at("untimed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.itemId, t.documentId] }),
    index("observations_document").on(t.documentId),
    // an entry's latest observation (entry-identity previousItems) found through the index, not by reading its history
    index("observations_entry").on(t.entryKey, t.fetchedAt.desc()),
  ],
);

export const tags = pgTable("tags", {
  id: serial("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  label: text("label").notNull(),
  createdAt: at("created_at").notNull().defaultNow(),
  /** Bumped by every ingestion that changes the tag's feed: what rendered-feed caches key on. */
  version: integer("version").notNull().default(0),
  changedAt: at("changed_at").notNull().defaultNow(),
  /** How the tag gains stories: "words", "explicit" or "rules" (normalise/topic/membership). */
  match: text("match", { enum: ["words", "explicit", "rules"] })
    .notNull()
    .default("words"),
  /** Where it came from: the portal's pages, a followed feed's categories, or a person. The index groups by it. */
  origin: text("origin", { enum: ["portal", "feed", "person"] })
    .notNull()
    .default("portal"),
  /** Rules (normalise/topic/rules): the stories a "rules" tag gains, and those no tag of any match has. */
  include: jsonb("include").$type<Rule[]>().notNull().default(sql`'[]'::jsonb`),
  exclude: jsonb("exclude").$type<Rule[]>().notNull().default(sql`'[]'::jsonb`),
});

/**
 * The old slugs of renamed and merged tags, and of removed ones: their feed URLs answer 301 to the tag
 * that has them now, or 410 Gone. A document naming an old slug names the tag it leads to, or none.
 */
export const tagAliases = pgTable("tag_aliases", {
  slug: text("slug").primaryKey(),
  /** The tag the slug leads to; null for a removed tag. */
  tagId: integer("tag_id").references(() => tags.id, { onDelete: "set null" }),
  createdAt: at("created_at").notNull().defaultNow(),
});

/** Settings a person keeps in the database: "drop", the global rules (a JSON list of rules). */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  changedAt: at("changed_at").notNull().defaultNow(),
});

/**
 * Versions of what is not a single tag: "all" changes with any item. Kept
 * like tags.version so the combined feeds can be cached the same way.
 */
export const feedState = pgTable("feed_state", {
  key: text("key").primaryKey(),
  version: integer("version").notNull().default(0),
  changedAt: at("changed_at").notNull().defaultNow(),
});

/**
 * Tag membership: "page" where a source tagged the story (items.page_tags), "match" where the
 * tag's label occurs as a whole word in its title or summary, "rule" where one of its rules includes it.
 */
export const itemTags = pgTable(
  "item_tags",
  {
    itemId: text("item_id")
      .notNull()
      .references(() => items.id, { onDelete: "cascade" }),
    tagId: integer("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
    via: text("via", { enum: ["page", "match", "rule"] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tagId, t.itemId] }), index("item_tags_item").on(t.itemId)],
);

/**
 * The article pages fetched for full text (pipeline/full-text), by address: fetched once, asked again
 * only with their validators, and never while a failure's wait runs.
 */
export const articlePages = pgTable(
  "article_pages",
  {
    url: text("url").primaryKey(),
    sourceId: integer("source_id")
      .notNull()
      .references(() => sources.id, { onDelete: "cascade" }),
    /**
     * "ok", "failed" (fetching or reading), "refused" (robots.txt), or "pending": a poller has claimed it and is
     * fetching it now (fetchedAt is then when it claimed it; a claim older than ten minutes is a poller that died).
     */
    status: text("status", { enum: ["ok", "failed", "refused", "pending"] }).notNull(),
    /** Hex SHA-256 of the body read last: the same page again is not stored again. */
    sha256: text("sha256"),
    etag: text("etag"),
    lastModified: text("last_modified"),
    fetchedAt: at("fetched_at").notNull(),
    attempts: integer("attempts").notNull().default(1),
    error: text("error"),
  },
  (t) => [index("article_pages_source").on(t.sourceId)],
);

/** Every column of items but matchWords: what reading an item selects (the words serve the index alone). */
export const itemColumns = (() => {
  const { matchWords: _, ...read } = getTableColumns(items);
  return read;
})();

export const schema = { sources, documents, items, itemSearch, searchQueue, observations, tags, tagAliases, settings, itemTags, feedState, articlePages };
