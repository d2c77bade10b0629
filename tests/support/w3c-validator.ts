/**
 * The W3C Feed Validation Service's code (../shared/validators, beside the
 * repository) run over many feed files: w3c-validate-many.py judges them as
 * ../shared/validators/w3c-validate judges one, in a small pool of Python
 * processes, since each process spends about a second loading the validator.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
/** Debian's Python, where python3-lxml, python3-html5lib and python3-rdflib install. */
export const PYTHON = process.env.DEBIAN_PYTHON ?? "/usr/bin/python3";
export const W3C_VALIDATOR_DIR = join(import.meta.dirname, "..", "..", "..", "shared", "validators", "w3c-feedvalidator");
const MANY = join(import.meta.dirname, "w3c-validate-many.py");

export interface ValidatorEvent {
  level: "ERROR" | "WARNING" | "INFO";
  type: string;
  line: number | null;
  text: string;
}

export interface FeedToValidate {
  file: string;
  /** The address the feed was served from: the validator checks self links against it. */
  url: string;
}

/** Whether the validator and the Python modules it imports are here. */
export async function w3cValidatorAvailable(): Promise<boolean> {
  if (!existsSync(join(W3C_VALIDATOR_DIR, "feedvalidator"))) return false;
  try {
    await run(PYTHON, ["-c", "import lxml, html5lib, rdflib"]);
    return true;
  } catch {
    return false;
  }
}

/** Every feed's events that count (W3C's "AA" level, as w3c-validate prints them), by file. */
export async function validateFeeds(feeds: FeedToValidate[], processes = 2): Promise<Map<string, ValidatorEvent[]>> {
  const batches: FeedToValidate[][] = Array.from({ length: processes }, () => []);
  feeds.forEach((feed, i) => {
    batches[i % processes]!.push(feed);
  });
  const out = new Map<string, ValidatorEvent[]>();
  await Promise.all(
    batches
      .filter((batch) => batch.length)
      .map(async (batch) => {
        const args = [MANY, W3C_VALIDATOR_DIR, ...batch.flatMap((f) => [f.file, f.url])];
        const { stdout } = await run(PYTHON, args, { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
        for (const line of stdout.split("\n").filter(Boolean)) {
          const { file, events } = JSON.parse(line) as { file: string; events: ValidatorEvent[] };
          out.set(file, events);
        }
      }),
  );
  for (const feed of feeds) if (!out.has(feed.file)) throw new Error(`the W3C validator said nothing of ${feed.file}`);
  return out;
}
