/**
 * feedparser's case files and one verdict per case: the document is read by
 * feedwerk's reader (decodeFeed, readFeed, feedItems), the `Expect:` line is
 * evaluated against what it kept (feedwerk-view.ts), and the case agrees,
 * differs by design, fails, or is not applicable, with the reason.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { decodeFeed } from "../../src/input/feed/decode";
import { readFeed } from "../../src/input/feed/read-feed";
import { feedItems } from "../../src/input/feed/to-items";
import { NotApplicable, scopeOf, type Document, type Observations } from "./feedwerk-view";
import { evaluate, parse, PythonError, show, truthy, Unsupported, type Node } from "./python-expression";

/** feedparser's tests folder: ../shared beside the repository, or FEEDPARSER_SUITE. */
export const SUITE = process.env.FEEDPARSER_SUITE ?? join(import.meta.dirname, "../../../shared/conformance/feedparser");

export interface Case {
  /** Path inside the suite, e.g. wellformed/rss/item_title.xml. */
  file: string;
  folder: string;
  bytes: Uint8Array;
  expect: string | null;
  headers: Record<string, string>;
}

export type Verdict = { kind: "agree" } | { kind: "design"; reasons: string[] } | { kind: "fail"; detail: string } | { kind: "n/a"; category: string };

export function loadCases(root = SUITE): Case[] {
  if (!existsSync(root)) throw new Error(`feedparser's test suite is not at ${root}: set FEEDPARSER_SUITE to its tests folder`);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".xml")) files.push(path);
    }
  };
  walk(root);
  return files.map((path) => {
    const bytes = new Uint8Array(readFileSync(path));
    const text = caseText(bytes);
    const file = relative(root, path);
    const headers: Record<string, string> = {};
    for (const m of text.matchAll(/^Header:\s+([^:]+):(.*)$/gm)) headers[m[1]!.toLowerCase()] = m[2]!.trim();
    const expect = /Description:\s*[\s\S]*?\s*Expect:\s*([\s\S]*?)\s*-->/.exec(text)?.[1] ?? null;
    return { file, folder: file.slice(0, file.lastIndexOf("/")), bytes, expect, headers };
  });
}

/** The case's text, for its comment: the byte-order rules of feedparser's own test helper. */
function caseText(b: Uint8Array): string {
  const utf32 = (littleEndian: boolean, skip: number) => {
    const view = new DataView(b.buffer, b.byteOffset + skip, b.byteLength - skip - ((b.byteLength - skip) % 4));
    let out = "";
    for (let i = 0; i < view.byteLength; i += 4) out += String.fromCodePoint(Math.min(view.getUint32(i, littleEndian), 0x10ffff));
    return out;
  };
  const head = Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, "0")).join("");
  if (head === "0000feff" || head === "0000003c") return utf32(false, head === "0000feff" ? 4 : 0);
  if (head === "fffe0000" || head === "3c000000") return utf32(true, head === "fffe0000" ? 4 : 0);
  if (head.startsWith("003c") || head.startsWith("feff")) return new TextDecoder("utf-16be").decode(b);
  if (head.startsWith("3c00") || head.startsWith("fffe")) return new TextDecoder("utf-16le").decode(b);
  return new TextDecoder("utf-8").decode(b);
}

/** Where feedparser's HTTP cases are served from; the same base for the others, which feedparser reads without one. */
export const urlOf = (c: Case) => `http://127.0.0.1:8097/${c.file}`;
const FETCHED_AT = new Date("2030-01-01T00:00:00Z");
const COMMENTS = /<!--[\s\S]*?-->/g;
const CDF_ROOT = /^\s*(?:<\?xml[^>]*>\s*)?<CHANNEL\b/;

export async function judge(c: Case): Promise<Verdict> {
  if (c.expect === null) return { kind: "n/a", category: "no Expect line" };
  // feedwerk's reader is given the URL and the content type; other headers never reach it.
  const other = Object.keys(c.headers).filter((h) => h !== "content-type");
  if (other.length) return { kind: "n/a", category: `HTTP header ${other.join(", ")}` };
  // CDF, Microsoft's Channel Definition Format of 1997 (<CHANNEL><ITEM HREF=…>), was a push format
  // for Internet Explorer 4 that no publisher writes today; feedwerk reads RSS, Atom and JSON Feed only
  if (CDF_ROOT.test(caseText(c.bytes).replace(COMMENTS, ""))) return { kind: "n/a", category: "CDF document (not a feed format feedwerk reads)" };
  let tree: Node;
  try {
    tree = parse(c.expect);
  } catch (error) {
    if (error instanceof Unsupported) return { kind: "n/a", category: "outside the expression subset" };
    throw error;
  }

  const url = urlOf(c);
  let doc: Document;
  let refused: string | null = null;
  try {
    const feed = await readFeed(decodeFeed(c.bytes, c.headers["content-type"] ?? null));
    // one entry at a time: feedItems merges entries that name the same story, feedparser does not
    const entries = feed.entries.map((raw) => ({ raw, item: feedItems({ ...feed, entries: [raw] }, url, url, FETCHED_AT)[0]! }));
    doc = { entries, source: caseText(c.bytes), url };
  } catch (error) {
    refused = (error as Error).message;
    doc = { entries: [], source: "", url };
  }

  // `bozo` is feedparser's "not well-formed, recovered"; feedwerk has no such flag. Read as a
  // top-level condition: `not bozo` holds when feedwerk read the document, `bozo` when it read it
  // all the same (recovered); the entry data then decides.
  const conjuncts = tree.kind === "and" ? tree.operands : [tree];
  const isBozo = (n: Node) => n.kind === "name" && n.name === "bozo";
  const seen: Observations = { designReasons: new Set(), mismatches: [], touched: false };
  const failures: string[] = [];
  for (const conjunct of conjuncts) {
    if (isBozo(conjunct) || (conjunct.kind === "not" && isBozo(conjunct.operand))) {
      if (refused !== null) failures.push(`feedwerk refused the document: ${refused}`);
      continue;
    }
    try {
      if (!truthy(evaluate(conjunct, scopeOf(doc, seen)))) failures.push(seen.mismatches.pop() ?? `false: ${show(conjunct)}`);
    } catch (error) {
      if (error instanceof NotApplicable) return { kind: "n/a", category: error.category };
      if (error instanceof Unsupported) return { kind: "n/a", category: "outside the expression subset" };
      if (error instanceof PythonError) failures.push(refused !== null ? `feedwerk refused the document: ${refused}` : error.message);
      else throw error;
    }
  }
  if (!seen.touched) {
    // `not bozo` alone still says something feedwerk must match: the document is readable
    const readable = conjuncts.some((n) => n.kind === "not" && isBozo(n.operand));
    if (!readable) return { kind: "n/a", category: conjuncts.some(isBozo) ? "bozo flag only" : "no entry field" };
  }
  if (failures.length) return { kind: "fail", detail: [...new Set(failures)].join("; ") };
  return seen.designReasons.size ? { kind: "design", reasons: [...seen.designReasons] } : { kind: "agree" };
}
