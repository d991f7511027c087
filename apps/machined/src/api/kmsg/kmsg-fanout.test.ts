import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { FakeClock, settle } from "../../testing/fake-clock.ts";
import { DMESG_FOLLOW_QUEUE_BYTES, DMESG_POLL_MS } from "../handlers/dmesg.ts";
import { FakeKmsg } from "../testing/api-fixture.ts";
import { type ServerFixture, startServerFixture } from "../testing/api-server-fixture.ts";
import { isDropMarker, KmsgFanout } from "./kmsg-fanout.ts";
import type { KmsgRecord } from "./kmsg-record.ts";

const OPTIONS = { pollMs: 100, maxQueue: 8, maxQueueBytes: 1 << 20 };

let seq = 0;
const record = (text: string) => `6,${seq++},${seq * 10},-;${text}`;

/** Follows until `count` records (markers included) came, or the follower ends. */
async function take(it: AsyncGenerator<KmsgRecord[]>, count: number): Promise<KmsgRecord[]> {
  const out: KmsgRecord[] = [];
  while (out.length < count) {
    const r = await it.next();
    if (r.done === true) break;
    out.push(...r.value);
  }
  return out;
}

test("one reader for every follower: opened by the first, positioned at the end, closed by the last", async () => {
  const kmsg = new FakeKmsg();
  const clock = new FakeClock();
  kmsg.records.push(record("before anyone followed"));
  const fanout = new KmsgFanout(kmsg, clock, OPTIONS);
  const stops = [new AbortController(), new AbortController(), new AbortController()];
  const followers = stops.map((s) => fanout.follow(s.signal));
  const firsts = followers.map((f) => f.next());
  expect([kmsg.opened, fanout.followers]).toEqual([1, 3]);
  kmsg.records.push(record("new"));
  await clock.advance(OPTIONS.pollMs);
  for (const first of firsts) expect((await first).value?.map((r: KmsgRecord) => r.message)).toEqual(["new"]);
  for (const s of stops) s.abort();
  for (const f of followers) expect((await f.next()).done).toBe(true);
  await settle();
  expect([kmsg.opened, kmsg.closed, fanout.followers]).toEqual([1, 1, 0]);
  // The next follower opens a new reader.
  const later = new AbortController();
  const again = fanout.follow(later.signal);
  const pending = again.next();
  expect(kmsg.opened).toBe(2);
  later.abort();
  expect((await pending).done).toBe(true);
});

test("a follower that does not read loses its oldest records, is told how many, and holds nobody back", async () => {
  const kmsg = new FakeKmsg();
  const clock = new FakeClock();
  const fanout = new KmsgFanout(kmsg, clock, OPTIONS);
  const stop = new AbortController();
  const slow = fanout.follow(stop.signal);
  const fast = fanout.follow(stop.signal);
  const slowFirst = slow.next();
  const fastFirst = fast.next();
  const fastGot: string[] = [];
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 4; i++) kmsg.records.push(record(`r${round}.${i}`));
    const advancing = clock.advance(OPTIONS.pollMs);
    if (round === 0) fastGot.push(...((await fastFirst).value ?? []).map((x: KmsgRecord) => x.message));
    const more = await take(fast, 4 * (round + 1) - fastGot.length);
    fastGot.push(...more.map((x) => x.message));
    await advancing;
  }
  expect(fastGot).toHaveLength(20);
  expect(fastGot.some((m) => m.includes("dropped"))).toBe(false);
  // The slow one took its first batch (the first round's first part), then read nothing: 8 records
  // queued for it at most, the others dropped, and it is told how many.
  const first = ((await slowFirst).value ?? []).map((r: KmsgRecord) => r.message);
  expect(first).toEqual(fastGot.slice(0, first.length));
  const rest = await take(slow, 1 + 8);
  expect(rest.map((r) => r.message)).toEqual([
    `[${20 - first.length - 8} kernel messages dropped: reader too slow]`,
    ...fastGot.slice(-8),
  ]);
  expect(isDropMarker(rest[0] as KmsgRecord)).toBe(true);
  stop.abort();
});

test("a burst bigger than a follower's queue reaches a follower that keeps up, whole", async () => {
  const kmsg = new FakeKmsg();
  const clock = new FakeClock();
  const fanout = new KmsgFanout(kmsg, clock, OPTIONS);
  const stop = new AbortController();
  const follower = fanout.follow(stop.signal);
  const first = follower.next();
  for (let i = 0; i < 50; i++) kmsg.records.push(record(`burst ${i}`));
  const advancing = clock.advance(OPTIONS.pollMs);
  const firstBatch = (await first).value ?? [];
  const got = [...firstBatch, ...(await take(follower, 50 - firstBatch.length))];
  await advancing;
  expect(got.filter((r) => isDropMarker(r))).toEqual([]);
  expect(got.map((r) => r.message)).toEqual(Array.from({ length: 50 }, (_, i) => `burst ${i}`));
  stop.abort();
});

test("a failing reader ends every follower with its error; the next follower opens a new reader", async () => {
  const clock = new FakeClock();
  let fail = false;
  const kmsg = new FakeKmsg();
  const failing = {
    opened: 0,
    open() {
      this.opened++;
      const reader = kmsg.open();
      return {
        read: () => {
          if (fail) throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
          return reader.read();
        },
        close: () => reader.close(),
      };
    },
  };
  const fanout = new KmsgFanout(failing, clock, OPTIONS);
  const follower = fanout.follow(new AbortController().signal);
  const next = follower.next().then(
    () => "no error",
    (e: Error) => e.message,
  );
  fail = true;
  await clock.advance(OPTIONS.pollMs);
  expect(await next).toContain("EIO");
  await settle();
  expect(kmsg.closed).toBe(1);
  fail = false;
  const later = new AbortController();
  const again = fanout.follow(later.signal);
  const pending = again.next();
  expect(failing.opened).toBe(2);
  later.abort();
  expect((await pending).done).toBe(true);
});

// Over machined's real API server: a Dmesg follower whose HTTP/2 stream is full (its client reads
// nothing) neither holds back the other followers nor makes machined buffer what it does not read.
let s: ServerFixture;
beforeAll(async () => {
  s = await startServerFixture();
});
afterAll(() => s?.close());

test("Dmesg: a follower that stops reading is skipped with a marker; the others get everything", async () => {
  const text = "k".repeat(1000);
  const stop = new AbortController();
  const reading: string[] = [];
  const active = (async () => {
    try {
      for await (const m of s
        .client("os:reader")
        .dmesg({ follow: true, tail: true }, { signal: stop.signal })) {
        reading.push(...m.messages.map((x) => x.message));
      }
    } catch (e) {
      if (ConnectError.from(e).code !== Code.Canceled) throw e;
    }
  })();
  // The staller takes its first message, then reads nothing: its client's 64 KiB window fills.
  const staller = s
    .ownClient("os:reader", { initialWindowSize: 65_535 })
    .dmesg({ follow: true, tail: true }, { signal: stop.signal })
    [Symbol.asyncIterator]();
  let stallerFirst: string[] | undefined;
  void staller.next().then((r) => {
    stallerFirst = r.done === true ? [] : r.value.messages.map((m) => m.message);
  });
  // Both followers are subscribed once each got a record (one pushed before that is not for them).
  let probe = 0;
  await eventually("both followers are subscribed", async () => {
    s.f.kmsg.records.push(record(`probe ${probe++}`));
    await s.f.clock.advance(DMESG_POLL_MS);
    return reading.length > 0 && stallerFirst !== undefined;
  });
  const before = reading.length;
  // 40 polls of 100 records of 1000 characters (4 MB): the active follower keeps up with each.
  const rounds = 40;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < 100; i++) s.f.kmsg.records.push(record(`${round}.${i} ${text}`));
    await s.f.clock.advance(DMESG_POLL_MS);
    await eventually(`the active follower has round ${round}`, () =>
      reading.some((m) => m.startsWith(`${round}.99 `)),
    );
  }
  expect(reading.filter((m) => m.includes("dropped"))).toEqual([]);
  expect(reading).toHaveLength(before + rounds * 100);
  // The staller now reads what was kept for it: a marker where records were dropped, and far less
  // than was produced (its stream's window, the message being written, its bounded queue).
  const kept: string[] = [];
  for (;;) {
    const r = await staller.next();
    if (r.done === true) break;
    kept.push(...r.value.messages.map((m) => m.message));
    if (kept.some((m) => m.startsWith(`${rounds - 1}.99 `))) break;
  }
  expect(kept.some((m) => /^\[\d+ kernel messages dropped: reader too slow\]$/.test(m))).toBe(true);
  const keptBytes = kept.reduce((n, m) => n + m.length, 0);
  expect(keptBytes).toBeLessThan(65_535 + 2 * DMESG_FOLLOW_QUEUE_BYTES);
  stop.abort();
  await active;
  await eventually("the shared reader is closed", () => s.f.kmsg.closed === s.f.kmsg.opened);
  expect(s.f.kmsg.opened).toBe(1);
});
