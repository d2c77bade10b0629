/**
 * V8 favouring memory over speed while a polling pass runs. A pass of a few hundred feeds allocates
 * quickly and keeps little: left to itself, V8 grows its heaps far past what is live (a first pass of 300
 * feeds took `fetch --all` from 60 to 229 MiB, of which about 25 MiB of JavaScript heap stays live). With
 * `--optimize-for-size` it collects sooner and grows less: 167 to 176 MiB, for a pass about 10 % longer
 * (bench:memory). For `serve --poll`, the process that runs for months: requests keep V8's defaults between
 * passes (the flag would cost a cached feed 13 % more processor time, bench:publish), and a one-shot `fetch`
 * keeps them throughout (it exits when done; bench:aggregate times it). V8 reads the flag as it goes, so it
 * can be set and cleared while running.
 */
import { setFlagsFromString } from "node:v8";

let running = 0;

export async function leanWhile<T>(work: () => Promise<T>): Promise<T> {
  if (running++ === 0) setFlagsFromString("--optimize-for-size");
  try {
    return await work();
  } finally {
    if (--running === 0) setFlagsFromString("--no-optimize-for-size");
  }
}
