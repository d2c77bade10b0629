/**
 * `npm run bench:fetch-signal-memory`: whether the heap grows with the
 * number of fetches made against one long-lived stop signal, as `serve
 * --poll` makes them (its stop signal lives as long as the server). Each
 * call is FeedFetcher.fetch of an address the policy refuses, so that it
 * sets up and tears down its abort signals and returns without the network.
 * Prints the heap after a full collection before, halfway and after
 * BENCH_FETCHES (default 100,000) calls. Needs --expose-gc (the script
 * passes it to itself).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AddressPolicy } from "../src/input/fetch/address-policy";
import { FeedFetcher } from "../src/input/fetch/http-fetch";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url)], { stdio: "inherit" });
  process.exit(run.status ?? 1);
}

const FETCHES = Number(process.env.BENCH_FETCHES ?? 100_000);
const heapMiB = async () => {
  // let finalisation and weak references settle before measuring
  await new Promise((resolve) => setImmediate(resolve));
  gc!();
  await new Promise((resolve) => setImmediate(resolve));
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const fetcher = new FeedFetcher(new AddressPolicy());
const stop = new AbortController();
let refused = 0;
const before = await heapMiB();
let halfway = 0;
for (let i = 0; i < FETCHES; i++) {
  await fetcher.fetch("http://127.0.0.1:9/feed.xml", {}, stop.signal).catch(() => refused++);
  if (i + 1 === FETCHES / 2) halfway = await heapMiB();
}
const after = await heapMiB();
await fetcher.close();
if (refused !== FETCHES) throw new Error(`expected every fetch to be refused, ${refused} of ${FETCHES} were`);
console.log(`node ${process.version}, ${FETCHES} fetches against one stop signal`);
console.log(
  `heap used: ${before.toFixed(2)} MiB before, ${halfway.toFixed(2)} MiB halfway, ${after.toFixed(2)} MiB after (${(after - before).toFixed(2)} MiB grown)`,
);
