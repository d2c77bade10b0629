/**
 * A thread of the feed-reading pool (feed-reading.ts): says when it is
 * ready, then reads each document the pool sends, one at a time, and sends
 * back the result or the error's name and message (an Error does not keep
 * its class across threads).
 */
import { parentPort } from "node:worker_threads";
import { readFetchedFeed, type FetchedFeed, type ReadFeed } from "../../input/feed/reader";
import { type PageLine, readPageLine } from "../cli/page-lines";

/** A fetched document to read as a feed or a page, or a saved page file to read as `parse` prints it. */
export type ReadingJob = { id: number; document: FetchedFeed } | { id: number; pageFile: { path: string; fetchedAt: Date | undefined } };

export type ReadingAnswer = { ready: true } | { id: number; result: ReadFeed | PageLine } | { id: number; error: { name: string; message: string } };

if (!parentPort) throw new Error("feed-reading-thread.ts runs on a worker thread of the feed-reading pool");
const port = parentPort;
port.on("message", async (job: ReadingJob) => {
  const { id } = job;
  let answer: ReadingAnswer;
  try {
    answer = { id, result: "document" in job ? await readFetchedFeed(job.document) : await readPageLine(job.pageFile.path, job.pageFile.fetchedAt) };
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    answer = { id, error: { name, message } };
  }
  port.postMessage(answer);
});
// loaded: the pool times each document from here, not from the thread's start
port.postMessage({ ready: true } satisfies ReadingAnswer);
