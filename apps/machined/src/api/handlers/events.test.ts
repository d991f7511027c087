import { afterAll, expect, test } from "bun:test";
import { eventually } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { InProcessRunner } from "../../supervisor/runners/in-process-runner.ts";
import { makeFixture } from "../testing/api-fixture.ts";

const f = makeFixture();
afterAll(() => f.cleanup());

const idle = () =>
  new InProcessRunner(({ signal }) => new Promise<void>((r) => signal.addEventListener("abort", () => r())));
f.supervisor.register(
  { id: "a", dependsOn: [], restart: "forever", runner: idle() },
  { id: "b", dependsOn: [], restart: "forever", runner: idle() },
);
f.supervisor.start("a");
await f.supervisor.waitFor("a", (s) => s.state === "Running");

test("tail_events: the last events, oldest first, with increasing seq", async () => {
  await f.supervisor.restart("a");
  await f.supervisor.waitFor("a", (s) => s.state === "Running");
  const all = [];
  for await (const e of f.client("os:reader").events({ tailEvents: -1 })) all.push(e);
  expect(all.length).toBeGreaterThanOrEqual(3);
  expect(all.map((e) => e.state)).toContain("Finished");
  expect(all.at(-1)?.service).toBe("a");
  expect(all.at(-1)?.state).toBe("Running");
  for (let i = 1; i < all.length; i++) expect((all[i]?.seq ?? 0n) > (all[i - 1]?.seq ?? 0n)).toBe(true);
  const last = [];
  for await (const e of f.client("os:reader").events({ tailEvents: 1 })) last.push(e);
  expect(last).toHaveLength(1);
  expect(last[0]?.seq).toBe(all.at(-1)?.seq as bigint);
});

test("no tail and no follow: nothing", async () => {
  let n = 0;
  for await (const _ of f.client("os:reader").events({})) n++;
  expect(n).toBe(0);
});

test("follow: past events then new ones, filtered by service", async () => {
  // b has run once: its last event is the past one the follow starts with.
  f.supervisor.start("b");
  await f.supervisor.waitFor("b", (s) => s.state === "Running");
  await f.supervisor.stop("b");
  const abort = new AbortController();
  const seen: string[] = [];
  const reading = (async () => {
    try {
      for await (const e of f
        .client("os:reader")
        .events({ tailEvents: 1, follow: true, service: "b" }, { signal: abort.signal })) {
        seen.push(`${e.service}:${e.state}`);
        if (e.state === "Running") abort.abort();
      }
    } catch (e) {
      if (ConnectError.from(e).code !== Code.Canceled) throw e;
    }
  })();
  // The tail has arrived: the subscription is live before b starts again.
  await eventually("b's past event", () => seen.length === 1, 10_000, 1);
  f.supervisor.start("b");
  await reading;
  // The past event, then the new ones as they happened (b, and only b).
  expect(seen).toEqual(["b:Finished", "b:Running"]);
});
