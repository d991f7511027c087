import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock, settle } from "../testing/fake-clock.ts";
import { allOf, anyOf, type Condition, Flag, fileExists, flagSet, promiseResolved } from "./condition.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bronze-cond-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Starts waiting; returns a probe of the outcome so far. */
function watch(c: Condition, signal = new AbortController().signal) {
  const state: { result?: boolean; error?: unknown } = {};
  c.wait(signal).then(
    (r) => {
      state.result = r;
    },
    (e) => {
      state.error = e;
    },
  );
  return state;
}

describe("Flag", () => {
  test("waiters wake when set; later waits resolve at once; abort leaves no waiter", async () => {
    const network = new Flag("network up");
    const w = watch(flagSet(network));
    await settle();
    expect(w.result).toBeUndefined();
    network.set();
    await settle();
    expect(w.result).toBe(true);
    expect(await network.wait()).toBe(true);

    const config = new Flag("config loaded");
    const ac = new AbortController();
    const aborted = watch(flagSet(config), ac.signal);
    expect(config.waiters).toBe(1);
    ac.abort();
    await settle();
    expect(aborted.result).toBe(false);
    expect(config.waiters).toBe(0);
  });

  test("the description defaults to the flag's name", () => {
    expect(flagSet(new Flag("time synced")).description).toBe("time synced");
  });
});

describe("promiseResolved", () => {
  test("resolution holds; rejection fails the wait with its reason", async () => {
    let resolve: () => void = () => {};
    const w = watch(promiseResolved(new Promise<void>((r) => (resolve = r)), "config loaded"));
    await settle();
    expect(w.result).toBeUndefined();
    resolve();
    await settle();
    expect(w.result).toBe(true);

    const failing = watch(promiseResolved(Promise.reject(new Error("no config source")), "config loaded"));
    await settle();
    expect((failing.error as Error).message).toBe("no config source");
  });
});

describe("fileExists", () => {
  test("polls with the injected clock until the file appears", async () => {
    const clock = new FakeClock();
    const path = join(dir, "containerd.sock");
    const c = fileExists(path, { clock, pollMs: 1000 });
    expect(c.description).toBe(`${path} to exist`);
    const w = watch(c);
    await clock.advance(3000);
    expect(w.result).toBeUndefined();
    writeFileSync(path, "");
    await clock.advance(999);
    expect(w.result).toBeUndefined();
    await clock.advance(1);
    expect(w.result).toBe(true);
    expect(clock.pending).toBe(0);
  });

  test("an existing file holds at once; abort ends the polling", async () => {
    const clock = new FakeClock();
    writeFileSync(join(dir, "here"), "");
    expect(await fileExists(join(dir, "here"), { clock }).wait(new AbortController().signal)).toBe(true);
    const ac = new AbortController();
    const w = watch(fileExists(join(dir, "never"), { clock }), ac.signal);
    await clock.advance(500);
    ac.abort();
    await settle();
    expect(w.result).toBe(false);
    expect(clock.pending).toBe(0);
  });
});

describe("allOf / anyOf", () => {
  test("allOf waits for every condition and describes them all", async () => {
    const a = new Flag("network up");
    const b = new Flag("time synced");
    const c = allOf(flagSet(a), flagSet(b));
    expect(c.description).toBe("network up and time synced");
    const w = watch(c);
    a.set();
    await settle();
    expect(w.result).toBeUndefined();
    b.set();
    await settle();
    expect(w.result).toBe(true);
  });

  test("anyOf holds on the first and releases the other waits", async () => {
    const a = new Flag("STATE partition");
    const b = new Flag("config URL");
    const c = anyOf(flagSet(a), flagSet(b));
    expect(c.description).toBe("STATE partition or config URL");
    const w = watch(c);
    await settle();
    expect(a.waiters + b.waiters).toBe(2);
    b.set();
    await settle();
    expect(w.result).toBe(true);
    expect(a.waiters).toBe(0);
  });

  test("allOf fails when one fails, and releases the others", async () => {
    const a = new Flag("network up");
    const w = watch(allOf(flagSet(a), promiseResolved(Promise.reject(new Error("bad")), "config")));
    await settle();
    expect((w.error as Error).message).toBe("bad");
    expect(a.waiters).toBe(0);
  });

  test("abort resolves both combinators false", async () => {
    const ac = new AbortController();
    const x = watch(allOf(flagSet(new Flag("x"))), ac.signal);
    const y = watch(anyOf(flagSet(new Flag("y"))), ac.signal);
    ac.abort();
    await settle();
    expect(x.result).toBe(false);
    expect(y.result).toBe(false);
  });
});
