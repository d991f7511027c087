import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { settle } from "../../testing/fake-clock.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import { DMESG_BATCH, DMESG_BATCH_BYTES, DMESG_POLL_MS } from "./dmesg.ts";

const f = makeFixture();
afterAll(() => f.cleanup());
for (let i = 0; i < 300; i++) f.kmsg.records.push(`6,${i},${i * 1000},-;message ${i}\n SUBSYSTEM=x\n`);
f.kmsg.records.push("garbage without separator");

test("without follow: every record in the buffer, parsed, in batches", async () => {
  const messages = [];
  for await (const m of f.client("os:reader").dmesg({})) messages.push(m);
  expect(messages.map((m) => m.messages.length)).toEqual([DMESG_BATCH, 300 - DMESG_BATCH]);
  const first = messages[0]?.messages[0];
  expect(first?.message).toBe("message 0");
  expect(first?.priority).toBe(6);
  expect(messages[1]?.messages.at(-1)?.timestampUsec).toBe(299_000n);
  expect(f.kmsg.closed).toBe(f.kmsg.opened);
});

test("tail + follow: only new records, polled on the clock, until cancelled", async () => {
  const abort = new AbortController();
  const seen: string[] = [];
  const reading = (async () => {
    try {
      for await (const m of f
        .client("os:reader")
        .dmesg({ follow: true, tail: true }, { signal: abort.signal })) {
        seen.push(...m.messages.map((x) => x.message));
        if (seen.length === 2) abort.abort();
      }
    } catch (e) {
      if (ConnectError.from(e).code !== Code.Canceled) throw e;
    }
  })();
  await settle(5);
  expect(seen).toEqual([]);
  f.kmsg.records.push("3,400,1,-;new one", "4,401,2,-;new two");
  await f.clock.advance(DMESG_POLL_MS);
  await reading;
  expect(seen).toEqual(["new one", "new two"]);
  await settle(5);
  expect(f.kmsg.closed).toBe(f.kmsg.opened);
});

test("a kernel log that cannot be opened is reported", async () => {
  const g = makeFixture({
    kmsg: {
      open: () => {
        throw Object.assign(new Error("EACCES: permission denied, open '/dev/kmsg'"), { code: "EACCES" });
      },
    },
  });
  const err = await (async () => {
    for await (const _ of g.client("os:reader").dmesg({})) {
      // nothing
    }
  })().catch((e) => ConnectError.from(e));
  expect((err as ConnectError).code).toBe(Code.PermissionDenied);
  expect((err as ConnectError).rawMessage).toContain("opening the kernel log");
  await g.cleanup();
});

test("long records make smaller messages", async () => {
  const g = makeFixture();
  const text = "k".repeat(4000);
  for (let i = 0; i < 40; i++) g.kmsg.records.push(`6,${i},${i},-;${text}`);
  const sizes = [];
  for await (const m of g.client("os:reader").dmesg({})) sizes.push(m.messages.length);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(40);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(Math.ceil(DMESG_BATCH_BYTES / 4000));
  await g.cleanup();
});
