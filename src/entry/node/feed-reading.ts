/**
 * Reading feeds on worker threads, for the Node shell's polling passes
 * (`fetch`, `serve --poll`). Parsing a document and turning its entries into
 * items is processor work of its own, while the pass's thread writes to the
 * database; a small pool of threads (one fewer than the machine's processors,
 * at least one and at most four: each costs about 40 MB) takes it off that thread. Threads start when there is
 * something to read (or one ahead of it, warm()) and do not keep the process alive while idle. A thread
 * that dies, or is still reading one document after a minute (and is
 * stopped), fails that document with a clear error; the next document starts
 * a new thread. Results cross threads by structured clone, which keeps Dates,
 * Maps and plain objects as they are.
 *
 * Hand-written, not piscina or tinypool: measured, piscina cost the main thread 1.5 to 1.7 times the processor time
 * per document and could leave waiting documents unsettled, and tinypool leaves a dead thread's document pending
 * (docs/design.md, "Why the feed-reading threads are a pool of feedwerk's own").
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { FeedFormatError } from "../../input/feed/errors";
import type { FeedReader, FetchedFeed, ReadFeed } from "../../input/feed/reader";
import type { PageLine } from "../cli/page-lines";
import type { ReadingAnswer, ReadingJob } from "./feed-reading-thread";

// the thread's module beside this one, as TypeScript under tsx or as the JavaScript a build makes of it
const THREAD = new URL(`./feed-reading-thread${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);
/** Threads at most by default: reading is a part of a pass's work, and each thread holds a heap of its own. */
const MAX_THREADS = 4;
/** How long a new thread may take to load its modules before the document it was given fails. */
const START_MS = 60_000;
const CLOSED = "the feed-reading pool was closed before this document was read";

export interface FeedReadingPoolOptions {
  /** Threads at most (default: one fewer than os.availableParallelism(), at least 1, at most 4). */
  size?: number;
  /** The thread's module (default feed-reading-thread.ts); a test gives one that fails on purpose. */
  module?: URL;
  /** How long one document may take (default 60 s): a thread still reading it then is stopped, and the document fails. */
  timeoutMs?: number;
  /**
   * The young generation of each thread's heap, in MB (default: V8's, sized by the machine's memory, up to 48 MB).
   * A long-running server gives less (bench:memory); a command reading many documents at once keeps V8's.
   */
  youngGenerationMb?: number | undefined;
}

interface Job {
  message: ReadingJob;
  // what a job resolves with is what its kind of message is answered with (read and readPageLine)
  resolve(result: ReadFeed | PageLine): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  job: Job | null;
  /** Whether its module has loaded: a document's time runs from then, not from the thread's start. */
  ready: boolean;
  timer: NodeJS.Timeout | null;
}

export class FeedReadingPool {
  readonly size: number;
  private readonly module: URL;
  private readonly timeoutMs: number;
  private readonly resourceLimits: { maxYoungGenerationSizeMb?: number };
  private readonly threads = new Set<Thread>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(options: FeedReadingPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? Math.min(MAX_THREADS, availableParallelism() - 1));
    this.module = options.module ?? THREAD;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.resourceLimits = options.youngGenerationMb ? { maxYoungGenerationSizeMb: options.youngGenerationMb } : {};
  }

  /** The pass's reader: reads the document on a thread of the pool. */
  readonly read: FeedReader = (document: FetchedFeed) => this.submit<ReadFeed>((id) => ({ id, document }));

  /** A saved page file read as `parse` prints it (cli/page-lines), on a thread of the pool. */
  readPageLine(path: string, fetchedAt?: Date): Promise<PageLine> {
    return this.submit<PageLine>((id) => ({ id, pageFile: { path, fetchedAt } }));
  }

  private submit<T extends ReadFeed | PageLine>(message: (id: number) => ReadingJob): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new Error("the feed-reading pool is closed"));
      this.queue.push({ message: message(this.nextId++), resolve: resolve as (result: ReadFeed | PageLine) => void, reject });
      this.dispatch();
    });
  }

  /**
   * Starts a thread before there is a document for it, if none runs: loading
   * its modules takes the better part of a second, which a pass spends
   * anyway on opening the database and its first claims and fetches. Like
   * any idle thread it does not keep the process alive. A thread that cannot
   * start is tried again, and its reason given, with the first document.
   */
  warm(): void {
    if (this.closed || this.threads.size) return;
    try {
      this.start();
    } catch {
      // dispatch starts one for the first document and says why when that fails too
    }
  }

  /** Threads running now (they start with the first documents, or warm(), and end with close()). */
  get threadCount(): number {
    return this.threads.size;
  }

  /** Ends every thread; documents still waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error(CLOSED));
    await Promise.all([...this.threads].map((thread) => thread.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length) {
      let idle: Thread | undefined;
      for (const thread of this.threads) if (!thread.job) idle = thread;
      if (!idle && this.threads.size < this.size) {
        try {
          idle = this.start();
        } catch (error) {
          // no thread can be started (a missing module, no memory): with none running, nothing would ever read what waits
          if (this.threads.size === 0)
            for (const job of this.queue.splice(0)) job.reject(new Error(`cannot start a thread to read feeds: ${(error as Error).message}`));
          return;
        }
      }
      if (!idle) return;
      const job = this.queue.shift()!;
      const thread = idle;
      thread.job = job;
      this.time(thread);
      // a thread with a document keeps the process alive until it answers; an idle one does not
      thread.worker.ref();
      thread.worker.postMessage(job.message);
    }
  }

  private start(): Thread {
    const worker = new Worker(bootstrap(this.module), { eval: true, resourceLimits: this.resourceLimits });
    const thread: Thread = { worker, job: null, ready: false, timer: null };
    worker.on("message", (answer: ReadingAnswer) => {
      if ("ready" in answer) {
        thread.ready = true;
        // the document's own time starts now: loading the thread's modules was not its doing
        if (thread.job) this.time(thread);
        return;
      }
      const job = thread.job;
      if (!job || job.message.id !== answer.id) return;
      thread.job = null;
      clearTimeout(thread.timer ?? undefined);
      worker.unref();
      if ("error" in answer) job.reject(revived(answer.error));
      else job.resolve(answer.result);
      this.dispatch();
    });
    worker.on("messageerror", (error) => this.lost(thread, `the thread reading this document sent an answer that cannot be read: ${error.message}`));
    worker.on("error", (error) => this.lost(thread, `the thread reading this document stopped: ${error.message}`));
    worker.on("exit", (code) => this.lost(thread, `the thread reading this document stopped: it exited with code ${code}`));
    // after the listeners: listening for messages refs the thread's port again
    worker.unref();
    this.threads.add(thread);
    return thread;
  }

  /**
   * A document that never ends (a parser caught in a loop) would hold the
   * pass: on a thread, it can be stopped. A thread that never finishes
   * loading would hold it as well, and is given a minute.
   */
  private time(thread: Thread): void {
    clearTimeout(thread.timer ?? undefined);
    const [ms, why] = thread.ready
      ? [this.timeoutMs, `reading this document took longer than ${this.timeoutMs / 1000} s: its thread was stopped`]
      : [START_MS, `the thread to read this document did not start within ${START_MS / 1000} s: it was stopped`];
    thread.timer = setTimeout(() => this.lost(thread, why), ms);
  }

  /** A thread that died or was stopped: its document fails with `why`, and the next document starts a new thread. */
  private lost(thread: Thread, why: string): void {
    if (!this.threads.delete(thread)) return;
    const job = thread.job;
    thread.job = null;
    clearTimeout(thread.timer ?? undefined);
    void thread.worker.terminate();
    job?.reject(new Error(this.closed ? CLOSED : why));
    if (!this.closed) this.dispatch();
  }
}

/** The reader's own error class where it has one: the pass tells a broken feed by its message either way. */
function revived({ name, message }: { name: string; message: string }): Error {
  if (name === "FeedFormatError") return new FeedFormatError(message);
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * A thread's first code. The entry runs as TypeScript through tsx (`tsx src/entry/cli/main.ts`,
 * `node --import tsx`, vitest); a worker thread does not inherit tsx's loader for its own main
 * module, so it registers tsx before loading the thread's module. It registers tsx's require
 * hook, not its ESM loader, and requires the module: the loader would start a hooks thread of
 * its own for this thread and ask it about every module the reader loads, which doubled the
 * time and processor work of a thread's start (about 0.7 s against 0.3 s). The modules a thread
 * reads with (src/input, src/normalise, src/xml) use neither import.meta nor top-level await, so
 * they run as CommonJS unchanged. Compiled JavaScript needs none of this.
 */
function bootstrap(module: URL): string {
  if (!module.pathname.endsWith(".ts")) return `import(${JSON.stringify(module.href)});`;
  // the "require" target of tsx's package export "./cjs/api"
  const tsx = JSON.stringify(createRequire(import.meta.url).resolve("tsx/cjs/api"));
  // a require of its own: the code runs as a module, without one, when the process was started with --input-type=module
  return `const require = process.getBuiltinModule("node:module").createRequire(${tsx}); require(${tsx}).register(); require(${JSON.stringify(fileURLToPath(module))});`;
}
