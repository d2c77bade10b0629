/**
 * A thread of the feed-reading pool that dies, as a thread can (out of memory, a native fault),
 * when a document says CRASH, and never ends reading one that says HANG (a parser caught in a
 * loop); any other document it reads as the real thread does.
 */
import { parentPort } from "node:worker_threads";
import "../../src/entry/node/feed-reading-thread";
import type { ReadingJob } from "../../src/entry/node/feed-reading-thread";

// the real thread's listener reads asynchronously: this one ends the thread before it can answer
parentPort!.on("message", (job: ReadingJob) => {
  if (!("document" in job)) return;
  const text = new TextDecoder().decode(job.document.bytes);
  if (text.includes("CRASH")) process.exit(7);
  if (text.includes("HANG")) for (;;);
});
