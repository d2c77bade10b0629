/** What storing takes in and gives back: the documents of a group and each one's report. */
import type { Item } from "../../normalise/item";
import type { TagOrigin } from "../../normalise/topic/membership";
import type { Database } from "../database";
import type { EntryIdentity } from "../entry-identity";

export interface DocumentInput {
  source: { kind: "page" | "feed"; name: string; url?: string | null };
  /** File name or URL, for the operator. */
  name: string;
  sha256: string;
  fetchedAt: Date;
  items: Item[];
  /** A feed document's entries: which items they were before, which items it retires. */
  identity?: EntryIdentity | undefined;
  /** Where the tags the document brings come from, if not from its kind of source (a web page's keywords: "feed"). */
  tagOrigin?: TagOrigin | undefined;
}

export type ItemOutcome = "new" | "updated" | "unchanged";

export interface StoreReport {
  new: number;
  updated: number;
  unchanged: number;
  /** Items this source no longer shows as one entry (deleted, or derived from other sources alone). */
  retired: number;
  outcomes: { id: string; title: string; outcome: ItemOutcome }[];
  newTags: string[];
  /** Tags whose feeds this document changed (their version was bumped). */
  changedTags: string[];
}

/** A document to store, with what must land with it or not at all. */
export interface Storing {
  doc: DocumentInput;
  /** Runs last in the document's transaction (the feed's fetch state); throwing rolls the document back. */
  alongside?: ((tx: Database) => Promise<void>) | undefined;
}

/** How storing one document of a group went. */
export type Stored = { report: StoreReport } | { error: unknown };
