import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { InProcessRunner } from "../../services/in-process-runner.ts";
import type { LogSink } from "../../services/service.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import { batches, LOG_BATCH, LOG_BATCH_BYTES, tailCount } from "./logs.ts";

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

test("without follow: the kept lines in batches, oldest first, then the stream ends", async () => {
  const messages = [];
  for await (const m of f.client("os:reader").logs({ id: "talker" })) messages.push(m);
  expect(messages.map((m) => m.lines.length)).toEqual([LOG_BATCH, LOG_BATCH, 200]);
  const lines = messages.flatMap((m) => m.lines);
  expect(lines[0]?.text).toBe("line 1");
  expect(lines[0]?.stream).toBe("stdout");
  expect(lines[1]?.stream).toBe("stderr");
  expect(lines.at(-1)?.text).toBe("line 1200");
  expect(lines[0]?.time).toBeDefined();
});

test("tail_lines keeps the last lines", async () => {
  const lines = [];
  for await (const m of f.client("os:reader").logs({ id: "talker", tailLines: 3 })) lines.push(...m.lines);
  expect(lines.map((l) => l.text)).toEqual(["line 1198", "line 1199", "line 1200"]);
});

test("follow: the tail, then new lines as they come, until the caller cancels", async () => {
  const abort = new AbortController();
  const stream = f
    .client("os:reader")
    .logs({ id: "talker", follow: true, tailLines: 2 }, { signal: abort.signal });
  const seen: string[] = [];
  const reading = (async () => {
    try {
      for await (const m of stream) {
        seen.push(...m.lines.map((l) => l.text));
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
    runner: new InProcessRunner(
      ({ signal }) => new Promise<void>((r) => signal.addEventListener("abort", () => r())),
    ),
  });
  const stream = g.client("os:reader").logs({ id: "quiet", follow: true });
  const done = (async () => {
    let n = 0;
    for await (const _ of stream) n++;
    return n;
  })();
  await Bun.sleep(20);
  g.shutdown.abort();
  expect(await done).toBe(0);
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

test("batches are bounded by lines and by bytes", () => {
  const line = (text: string) => ({ seq: 1, time: 0, stream: "stdout" as const, text });
  const small = Array.from({ length: 1001 }, () => line("x"));
  expect([...batches(small)].map((b) => b.length)).toEqual([LOG_BATCH, LOG_BATCH, 1]);
  const big = Array.from({ length: 10 }, () => line("y".repeat(10_000)));
  const sizes = [...batches(big)].map((b) => b.reduce((n, l) => n + l.text.length, 0));
  expect(sizes.every((s) => s <= LOG_BATCH_BYTES)).toBe(true);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(100_000);
  // A single line larger than the bound still goes out, alone.
  expect([...batches([line("z".repeat(LOG_BATCH_BYTES * 2)), line("a")])].map((b) => b.length)).toEqual([
    1, 1,
  ]);
  expect([...batches([])]).toEqual([]);
});
