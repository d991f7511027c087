import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LOGS_CHUNK_BYTES, LogLineDecoder } from "@bronze/api";
import { eventually } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { InProcessRunner } from "../../supervisor/runners/in-process-runner.ts";
import type { LogSink } from "../../supervisor/service.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import { type ServerFixture, startServerFixture } from "../testing/api-server-fixture.ts";
import { FOLLOW_QUEUE_BYTES, logChunks, logText, tailCount } from "./logs.ts";

const f = makeFixture();
afterAll(() => f.cleanup());

let sink: LogSink | undefined;
f.supervisor.register({
  id: "talker",
  dependsOn: [],
  restart: "forever",
  runner: new InProcessRunner(async ({ signal, log }) => {
    sink = log;
    for (let i = 1; i <= 1200; i++) log.line(i % 2 === 0 ? "stderr" : "stdout", `line ${i}`);
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
  }),
});
f.supervisor.start("talker");
await f.supervisor.waitFor("talker", (s) => s.state === "Running");

test("tail semantics", () => {
  expect(tailCount(-1, false)).toBe(Number.POSITIVE_INFINITY);
  expect(tailCount(0, false)).toBe(Number.POSITIVE_INFINITY);
  expect(tailCount(0, true)).toBe(0);
  expect(tailCount(7, true)).toBe(7);
});

test("without follow: the kept lines as text, whole lines per message, oldest first, then the end", async () => {
  const messages = [];
  for await (const m of f.client("os:reader").logs({ id: "talker" })) messages.push(m);
  const decoder = new LogLineDecoder();
  const lines = messages.flatMap((m) => decoder.push(m.data));
  expect(decoder.end()).toEqual([]);
  // Every message ends on a line boundary.
  expect(messages.every((m) => m.data.at(-1) === 0x0a)).toBe(true);
  expect(lines.slice(0, 2)).toEqual(["line 1", "line 2"]);
  expect(lines.at(-1)).toBe("line 1200");
  expect(lines).toHaveLength(1200);
});

test("tail_lines keeps the last lines", async () => {
  const decoder = new LogLineDecoder();
  const lines = [];
  for await (const m of f.client("os:reader").logs({ id: "talker", tailLines: 3 })) {
    lines.push(...decoder.push(m.data));
  }
  expect(lines).toEqual(["line 1198", "line 1199", "line 1200"]);
});

test("follow: the tail, then new lines as they come, until the caller cancels", async () => {
  const abort = new AbortController();
  const stream = f
    .client("os:reader")
    .logs({ id: "talker", follow: true, tailLines: 2 }, { signal: abort.signal });
  const seen: string[] = [];
  const decoder = new LogLineDecoder();
  const reading = (async () => {
    try {
      for await (const m of stream) {
        seen.push(...decoder.push(m.data));
        if (seen.length === 2) {
          sink?.line("stdout", "live 1");
          sink?.line("stdout", "live 2");
        }
        if (seen.length === 4) abort.abort();
      }
    } catch (e) {
      if (ConnectError.from(e).code !== Code.Canceled) throw e;
    }
  })();
  await reading;
  expect(seen).toEqual(["line 1199", "line 1200", "live 1", "live 2"]);
});

test("follow ends when the server shuts down", async () => {
  const g = makeFixture();
  g.supervisor.register({
    id: "quiet",
    dependsOn: [],
    restart: "forever",
    runner: new InProcessRunner(({ signal, log }) => {
      log.line("stdout", "ready");
      return new Promise<void>((r) => signal.addEventListener("abort", () => r()));
    }),
  });
  g.supervisor.start("quiet");
  await g.supervisor.waitFor("quiet", (s) => s.state === "Running");
  const stream = g.client("os:reader").logs({ id: "quiet", follow: true, tailLines: 1 });
  let n = 0;
  const done = (async () => {
    for await (const _ of stream) n++;
    return n;
  })();
  // The tail has arrived: the follow is live when the server shuts down.
  await eventually("the tail line", () => n === 1, 10_000, 1);
  g.shutdown.abort();
  expect(await done).toBe(1);
  await g.cleanup();
});

test("unknown service: NotFound", async () => {
  const err = await (async () => {
    for await (const _ of f.client("os:reader").logs({ id: "ghost" })) {
      // nothing
    }
  })().catch((e) => ConnectError.from(e));
  expect((err as ConnectError).code).toBe(Code.NotFound);
  expect((err as ConnectError).rawMessage).toContain("unknown service ghost");
});

test("chunks: whole lines, bounded by bytes, a longer line alone", () => {
  const line = (text: string, stream: "stdout" | "system" = "stdout") => ({ seq: 1, time: 0, stream, text });
  expect(logText(line("out"))).toBe("out\n");
  expect(logText(line("restarting", "system"))).toBe("[machined] restarting\n");
  const text = (chunks: Uint8Array[]) => chunks.map((c) => Buffer.from(c).toString());
  expect(text([...logChunks([line("a"), line("b", "system")])])).toEqual(["a\n[machined] b\n"]);
  // 4-byte lines ("é" is two bytes), 10 bytes per chunk at most: two lines each.
  const small = Array.from({ length: 5 }, () => line("é1"));
  expect(text([...logChunks(small, 10)])).toEqual(["é1\né1\n", "é1\né1\n", "é1\n"]);
  const big = Array.from({ length: 10 }, () => line("y".repeat(100_000)));
  const sizes = [...logChunks(big)].map((c) => c.length);
  expect(sizes.every((s) => s <= LOGS_CHUNK_BYTES)).toBe(true);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(10 * 100_001);
  expect(sizes.length).toBeLessThan(10);
  // A single line larger than the bound still goes out, whole and alone.
  expect([...logChunks([line("z".repeat(30)), line("a")], 10)].map((c) => c.length)).toEqual([31, 2]);
  expect([...logChunks([])]).toEqual([]);
});

test("follow: a burst of new lines comes in few messages", async () => {
  const abort = new AbortController();
  const stream = f
    .client("os:reader")
    .logs({ id: "talker", follow: true, tailLines: 1 }, { signal: abort.signal });
  const decoder = new LogLineDecoder();
  const seen: string[] = [];
  let messages = 0;
  const reading = (async () => {
    try {
      for await (const m of stream) {
        messages++;
        seen.push(...decoder.push(m.data));
        if (seen.length >= 301) abort.abort();
      }
    } catch (e) {
      if (ConnectError.from(e).code !== Code.Canceled) throw e;
    }
  })();
  // The tail line has arrived (one message): the follow is live before the burst.
  await eventually("the tail line", () => messages === 1, 10_000, 1);
  for (let i = 0; i < 300; i++) sink?.line("stdout", `burst ${i}`);
  await reading;
  expect(seen.slice(1)).toEqual(Array.from({ length: 300 }, (_, i) => `burst ${i}`));
  expect(messages - 1).toBeLessThanOrEqual(2);
});

// M1 of the security review: a stream whose reader does not read must not make machined buffer
// without bound. Over machined's real API server: a `logs --follow` whose client stops reading (its
// 64 KiB HTTP/2 window fills) while the service writes 16 MB.
describe("over the real API server", () => {
  let s: ServerFixture;
  beforeAll(async () => {
    s = await startServerFixture();
  });
  afterAll(() => s?.close());

  test("a follower that stops reading gets a bounded part and a 'lines dropped' line; others get everything", async () => {
    const chatty = await s.runService("chatty");
    chatty.line("stdout", "hello");
    const stop = new AbortController();
    const staller = s
      .ownClient("os:reader", { initialWindowSize: 65_535 })
      .logs({ id: "chatty", follow: true, tailLines: -1 }, { signal: stop.signal })
      [Symbol.asyncIterator]();
    const stallerDecoder = new LogLineDecoder();
    const first = await staller.next();
    expect(first.done === true ? [] : stallerDecoder.push(first.value.data)).toEqual(["hello"]);
    // An active follower on apid's shared session.
    const active: string[] = [];
    const activeDecoder = new LogLineDecoder();
    const following = (async () => {
      try {
        for await (const m of s
          .client("os:admin")
          .logs({ id: "chatty", follow: true, tailLines: -1 }, { signal: stop.signal })) {
          active.push(...activeDecoder.push(m.data));
        }
      } catch (e) {
        if (ConnectError.from(e).code !== Code.Canceled) throw e;
      }
    })();
    await eventually("the active follower is subscribed", () => active.includes("hello"));
    // 1,000 lines of 16 KiB (the longest line a service log keeps), in rounds of 400 KiB (less than a
    // follower's queue) that the active follower keeps up with.
    const text = "x".repeat(16 * 1024 - 16);
    const rounds = 40;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < 25; i++) chatty.line("stdout", `${round}.${i} ${text}`);
      await eventually(`the active follower has round ${round}`, () =>
        active.some((l) => l.startsWith(`${round}.24 `)),
      );
    }
    expect(active.filter((l) => l.includes("dropped"))).toEqual([]);
    // The staller reads now: what machined kept for it is bounded, and it is told what it lost.
    const kept: string[] = [];
    let keptBytes = 0;
    while (!kept.some((l) => l.startsWith(`${rounds - 1}.24 `))) {
      const r = await staller.next();
      if (r.done === true) break;
      keptBytes += r.value.data.length;
      kept.push(...stallerDecoder.push(r.value.data));
    }
    const dropped = kept.find((l) => /^\[machined\] \[\d+ lines dropped: reader too slow\]$/.test(l));
    expect(dropped).toBeDefined();
    // Its HTTP/2 window, the message being written, and its queue: not the 16 MB written.
    expect(keptBytes).toBeLessThan(65_535 + 2 * LOGS_CHUNK_BYTES + FOLLOW_QUEUE_BYTES);
    stop.abort();
    await following;
  });
});
