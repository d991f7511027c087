// M1 of the security review: nothing limited the streaming calls that hold resources in PID 1 (each
// Dmesg follower held a /dev/kmsg descriptor of its own). Over machined's real API server, with
// clients sharing one HTTP/2 session as apid's do.
import { afterAll, beforeAll, expect, test } from "bun:test";
import http2 from "node:http2";
import { connect } from "node:net";
import { MACHINED_MAX_CONCURRENT_STREAMS, STREAMS_PER_ROLE } from "@bronze/api";
import { eventually } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { DMESG_POLL_MS } from "./handlers/dmesg.ts";
import { drain, failure, type ServerFixture, startServerFixture } from "./testing/api-server-fixture.ts";

let s: ServerFixture;
beforeAll(async () => {
  s = await startServerFixture();
});
afterAll(() => s?.close());

let seq = 0;

interface Follower {
  readonly got: string[];
  readonly ended: Promise<string>;
  stop(): void;
}

/** A `dmesg --follow --tail` of `role`, on the shared session. */
function followDmesg(role: "os:reader" | "os:admin"): Follower {
  const got: string[] = [];
  const abort = new AbortController();
  const ended = (async () => {
    try {
      for await (const m of s.client(role).dmesg({ follow: true, tail: true }, { signal: abort.signal })) {
        got.push(...m.messages.map((x) => x.message));
      }
      return "ended";
    } catch (e) {
      const err = ConnectError.from(e);
      return err.code === Code.Canceled && abort.signal.aborted
        ? "cancelled"
        : `[${Code[err.code]}] ${err.rawMessage}`;
    }
  })();
  return { got, ended, stop: () => abort.abort() };
}

/** Pushes kernel records until every follower has one: they are then all subscribed. */
async function allFollowing(followers: readonly Follower[]): Promise<void> {
  await eventually(`${followers.length} followers are served`, async () => {
    s.f.kmsg.records.push(`6,${seq},${seq},-;probe ${seq++}`);
    await s.f.clock.advance(DMESG_POLL_MS);
    return followers.every((f) => f.got.length > 0);
  });
}

test("machined's HTTP/2 server announces its stream limit", async () => {
  const session = http2.connect("http://localhost", { createConnection: () => connect(s.socketPath) });
  try {
    const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
    expect(settings.maxConcurrentStreams).toBe(MACHINED_MAX_CONCURRENT_STREAMS);
  } finally {
    session.close();
  }
});

test("a role's streaming calls are capped; over the cap: RESOURCE_EXHAUSTED naming it; other roles unaffected; one kmsg reader", async () => {
  const readers = Array.from({ length: STREAMS_PER_ROLE }, () => followDmesg("os:reader"));
  await allFollowing(readers);
  // Every follower shares the one reader of the kernel log.
  expect(s.f.kmsg.opened).toBe(1);

  // One more streaming call of a reader, of any method, is refused before it is served.
  const over = followDmesg("os:reader");
  expect(await over.ended).toBe(
    `[ResourceExhausted] os:reader has ${STREAMS_PER_ROLE} streaming calls open, the most one role may have (${STREAMS_PER_ROLE}): end one (a logs --follow, a dmesg --follow...) and retry`,
  );
  const logs = await failure(drain(s.client("os:reader").logs({ id: "nothing" })));
  expect(logs.code).toBe(Code.ResourceExhausted);
  // A reader's unary calls, and an admin's streams, still go through on the same session.
  expect((await s.client("os:reader").hostname({})).hostname).toBe("node-1");
  const admin = followDmesg("os:admin");
  await allFollowing([admin]);
  expect(s.f.kmsg.opened).toBe(1);

  // A follower that ends gives its slot back (once machined has seen the cancel).
  readers[0]?.stop();
  expect(await readers[0]?.ended).toBe("cancelled");
  let again = followDmesg("os:reader");
  let refused = false;
  void again.ended.then(() => {
    refused = true;
  });
  await eventually("a reader's stream is accepted again", async () => {
    if (refused) {
      // machined had not seen the cancel yet: try again
      again = followDmesg("os:reader");
      refused = false;
      void again.ended.then(() => {
        refused = true;
      });
    }
    s.f.kmsg.records.push(`6,${seq},${seq},-;probe ${seq++}`);
    await s.f.clock.advance(DMESG_POLL_MS);
    return again.got.length > 0;
  });

  for (const f of [...readers, admin, again]) f.stop();
  for (const f of [...readers, admin, again]) expect(await f.ended).toBe("cancelled");
  await eventually("the shared kernel log reader is closed", () => s.f.kmsg.closed === s.f.kmsg.opened);
  // Every slot is free again: a full set of streams opens.
  const next = Array.from({ length: STREAMS_PER_ROLE }, () => followDmesg("os:reader"));
  await allFollowing(next);
  for (const f of next) f.stop();
  for (const f of next) expect(await f.ended).toBe("cancelled");
});
