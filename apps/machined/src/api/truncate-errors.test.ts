// M2 of the security review: caller input echoed into an error message made the grpc-message trailer
// too large for HTTP/2 (FRAME_SIZE_ERROR), which tore down the one session apid shares among all
// callers. Driven here over machined's real API server, with clients sharing one session as apid's do.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { LogLineDecoder } from "@bronze/api";
import { eventually } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import type { LogSink } from "../supervisor/service.ts";
import { QUOTED_INPUT_CHARS } from "./caller-input.ts";
import { drain, failure, type ServerFixture, startServerFixture } from "./testing/api-server-fixture.ts";
import {
  encodedLength,
  MAX_ERROR_MESSAGE_BYTES,
  TRUNCATED_MARK,
  truncateMessage,
} from "./truncate-errors.ts";

let s: ServerFixture;
let echo: LogSink;

beforeAll(async () => {
  s = await startServerFixture();
  echo = await s.runService("echo");
  echo.line("stdout", "echo started");
});
afterAll(() => s?.close());

/** An admin's `logs echo --follow` on the shared session, as another user of apid would have. */
function follow() {
  const lines: string[] = [];
  const decoder = new LogLineDecoder();
  const abort = new AbortController();
  const ended = (async () => {
    try {
      for await (const m of s
        .client("os:admin")
        .logs({ id: "echo", follow: true, tailLines: -1 }, { signal: abort.signal })) {
        lines.push(...decoder.push(m.data));
      }
      return "ended";
    } catch (e) {
      const err = ConnectError.from(e);
      return err.code === Code.Canceled && abort.signal.aborted ? "cancelled" : `failed: ${err.message}`;
    }
  })();
  return { lines, ended, stop: () => abort.abort() };
}

/** Checks that the follower is still served on the shared session: a new line reaches it. */
async function stillFollowing(follower: ReturnType<typeof follow>, line: string): Promise<void> {
  echo.line("stdout", line);
  await eventually(`the follower gets "${line}"`, async () => {
    const ended = await Promise.race([follower.ended, Promise.resolve(undefined)]);
    if (ended !== undefined) throw new Error(`the follower ${ended}`);
    return follower.lines.includes(line);
  });
}

test("truncateMessage cuts long messages to the limit in encoded bytes, marked, and leaves short ones alone", () => {
  expect(truncateMessage("short")).toBe("short");
  const cut = truncateMessage("x".repeat(50_000));
  expect(encodedLength(cut)).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
  expect(encodedLength(cut)).toBeGreaterThan(MAX_ERROR_MESSAGE_BYTES - 64);
  expect(cut.endsWith(TRUNCATED_MARK)).toBe(true);
  // A character outside printable ASCII costs 3 bytes per UTF-8 byte in the trailer.
  expect(encodedLength("a%\né😀")).toBe(1 + 3 + 3 + 6 + 12);
  // never half a surrogate pair
  const emoji = truncateMessage("😀".repeat(3000));
  expect(emoji.endsWith(`😀${TRUNCATED_MARK}`)).toBe(true);
  expect(encodedLength(emoji)).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
});

test("Logs of a 70,000- or 60,000-character id: a short error, and the shared session survives", async () => {
  const follower = follow();
  await eventually("the follower has the tail", () => follower.lines.includes("echo started"));
  // Over the request size limit of Logs: refused before the handler, naming the limit.
  const huge = await failure(drain(s.client("os:reader").logs({ id: "x".repeat(70_000) })));
  expect(huge.code).toBe(Code.ResourceExhausted);
  expect(huge.rawMessage.length).toBeLessThan(200);
  // Under it: the id is checked before it is looked up, and the message quotes a short prefix.
  const long = await failure(drain(s.client("os:reader").logs({ id: "x".repeat(60_000) })));
  expect(long.code).toBe(Code.InvalidArgument);
  expect(long.rawMessage).toContain("60000 characters");
  expect(long.rawMessage).not.toContain("x".repeat(QUOTED_INPUT_CHARS + 1));
  expect(long.rawMessage.length).toBeLessThan(400);
  await stillFollowing(follower, "after the long ids");
  expect((await s.client("os:reader").version({})).version?.tag).toBeDefined();
  follower.stop();
  expect(await follower.ended).toBe("cancelled");
});

test("an ApplyConfiguration error of 140,000 characters is cut to 12 KiB encoded; the shared session survives", async () => {
  const follower = follow();
  await eventually("the follower has the tail", () => follower.lines.includes("echo started"));
  // Unknown keys are named in the validation error: here 70 of 1,000 characters, twice each.
  const keys = Array.from({ length: 70 }, (_, i) => `  ${String(i).padStart(3, "0")}${"k".repeat(997)}: 1`);
  const config = `version: v1alpha1\nmachine:\n${keys.join("\n")}\n`;
  const err = await failure(
    s.client("os:admin").applyConfiguration({ data: new TextEncoder().encode(config), dryRun: true }),
  );
  expect(err.code).toBe(Code.InvalidArgument);
  expect(encodedLength(err.rawMessage)).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
  // Bounded at its source (the config report's own cap) or here: either way it says so.
  expect(err.rawMessage).toMatch(/not shown|…\(truncated\)$/);
  await stillFollowing(follower, "after the huge config error");
  follower.stop();
  expect(await follower.ended).toBe("cancelled");
});

test("no handler echoes a long id, namespace or path at length (the audit of api/handlers)", async () => {
  const long = "y".repeat(60_000);
  const reader = s.client("os:reader");
  const operator = s.client("os:operator");
  const admin = s.client("os:admin");
  const calls: [string, () => Promise<unknown>][] = [
    ["ServiceStart", () => operator.serviceStart({ id: long })],
    ["ServiceStop", () => operator.serviceStop({ id: long })],
    ["ServiceRestart", () => operator.serviceRestart({ id: long })],
    ["Events", () => drain(reader.events({ service: long }))],
    ["Containers", () => reader.containers({ namespace: long })],
    ["Stats", () => reader.stats({ namespace: long })],
    ["Read", () => drain(admin.read({ path: `/${long}` }))],
    ["List", () => drain(admin.list({ root: `/${long}` }))],
    ["Copy", () => drain(admin.copy({ rootPath: `/${long}` }))],
  ];
  for (const [method, call] of calls) {
    const err = await failure(call());
    expect([method, err.code]).toEqual([method, Code.InvalidArgument]);
    expect(err.rawMessage).toStartWith(`${method}: invalid`);
    expect(err.rawMessage).not.toContain("y".repeat(QUOTED_INPUT_CHARS + 1));
  }
  // A path the kernel would take (under PATH_MAX) that does not exist: named, shortened.
  const missing = "/zzzzzzzzz".repeat(400);
  const notFound = await failure(drain(admin.read({ path: missing })));
  expect(notFound.code).toBe(Code.NotFound);
  expect(notFound.rawMessage).toContain("(4000 characters)");
  expect(notFound.rawMessage.length).toBeLessThan(400);
});
