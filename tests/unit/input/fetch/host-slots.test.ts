/**
 * HostSlots alone: per origin at most `size` fetches hold a slot, the rest
 * wait in the order they asked; a release hands its slot to the next waiter,
 * releasing twice frees one slot only, an abort takes a waiter out of the
 * queue, and an origin with nothing under way or waiting is forgotten.
 */
import { describe, expect, it } from "vitest";
import { HostSlots } from "../../../../src/input/fetch/host-slots";

const A = "https://a.example";
const B = "https://b.example";

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Asks for slots of `origin` in order; `holding` lists the names that hold one so far. */
function ask(slots: HostSlots, origin: string, names: string[], signal = new AbortController().signal) {
  const holding: string[] = [];
  const releases = new Map<string, () => void>();
  for (const name of names) {
    void slots.take(origin, signal).then((release) => {
      holding.push(name);
      releases.set(name, release);
    });
  }
  return { holding, release: (name: string) => releases.get(name)!() };
}

describe("HostSlots", () => {
  it.each([
    { size: 1, asked: 3, first: ["f0"] },
    { size: 2, asked: 5, first: ["f0", "f1"] },
    { size: 4, asked: 3, first: ["f0", "f1", "f2"] },
  ])("gives $size slots of one origin at once, of $asked asked for", async ({ size, asked, first }) => {
    const slots = new HostSlots(size);
    const names = Array.from({ length: asked }, (_, i) => `f${i}`);
    const { holding } = ask(slots, A, names);
    await settle();
    expect(holding).toEqual(first);
  });

  it("hands each released slot to the longest waiting, in the order they asked", async () => {
    const slots = new HostSlots(2);
    const { holding, release } = ask(slots, A, ["a", "b", "c", "d", "e"]);
    await settle();
    expect(holding).toEqual(["a", "b"]);
    release("b");
    await settle();
    expect(holding).toEqual(["a", "b", "c"]);
    release("a");
    release("c");
    await settle();
    expect(holding).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("keeps origins apart: one origin's full slots do not hold another's fetch back", async () => {
    const slots = new HostSlots(1);
    const a = ask(slots, A, ["a1", "a2"]);
    const b = ask(slots, B, ["b1"]);
    await settle();
    expect([a.holding, b.holding]).toEqual([["a1"], ["b1"]]);
    expect(slots.active).toBe(2);
  });

  it("frees one slot for a release called twice", async () => {
    const slots = new HostSlots(1);
    const { holding, release } = ask(slots, A, ["a", "b", "c"]);
    await settle();
    release("a");
    release("a");
    await settle();
    expect(holding).toEqual(["a", "b"]);
  });

  it("forgets an origin once nothing holds or waits for its slots", async () => {
    const slots = new HostSlots(2);
    expect(slots.active).toBe(0);
    const { release } = ask(slots, A, ["a", "b", "c"]);
    await settle();
    expect(slots.active).toBe(1);
    release("a");
    await settle();
    release("b");
    expect(slots.active).toBe(1);
    release("c");
    expect(slots.active).toBe(0);
  });

  it("rejects with the signal's reason, at once if it has aborted and in the queue if it aborts there; the queue moves on without it", async () => {
    const slots = new HostSlots(1);
    const gone = new AbortController();
    gone.abort(new Error("stopped before asking"));
    await expect(slots.take(A, gone.signal)).rejects.toThrow("stopped before asking");
    expect(slots.active).toBe(0);

    const first = ask(slots, A, ["first"]);
    await settle();
    const stop = new AbortController();
    const waiting = slots.take(A, stop.signal);
    const after = ask(slots, A, ["after"]);
    stop.abort(new Error("stopped while waiting"));
    await expect(waiting).rejects.toThrow("stopped while waiting");
    first.release("first");
    await settle();
    expect(after.holding).toEqual(["after"]);
    after.release("after");
    expect(slots.active).toBe(0);
  });
});
