import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { KernelMessageSchema, type LogsRequest } from "@bronze/api";
import { eventually } from "@bronze/testing";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";
import { formatKernelMessage, logs } from "./logs.ts";

let server: FakeApid;
const io = createTestIo();
let cfg = "";
const requests: LogsRequest[] = [];
let followersCancelled = 0;

/** The stand-in server's pace between live lines (what it serves, not a wait of the test). */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const KEPT = ["one", "two", "three"];
const text = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  server = await startFakeApid({
    async *logs(req, ctx) {
      requests.push(req);
      if (req.id === "cut") {
        // Lines cut across messages (another server might), a UTF-8 sequence too, no final newline.
        const all = text("[machined] starting\nhé");
        yield { data: all.subarray(0, all.length - 1) };
        yield { data: all.subarray(all.length - 1) };
        yield { data: text("llo\nlast") };
        return;
      }
      const tail = req.tailLines < 0 ? KEPT : KEPT.slice(KEPT.length - req.tailLines);
      yield { data: text(tail.map((l) => `${l}\n`).join("")) };
      if (!req.follow) return;
      for (let i = 1; !ctx.signal.aborted; i++) {
        yield { data: text(`live ${i}\n`) };
        await sleep(20);
      }
      followersCancelled++;
    },
    async *dmesg() {
      yield {
        messages: [create(KernelMessageSchema, { timestampUsec: 1_234_567n, message: "Linux version 6.1" })],
      };
    },
    async *events(req) {
      const all = [
        { seq: 1n, service: "etcd", state: "Waiting", message: "Waiting for network" },
        { seq: 2n, service: "etcd", state: "Running", message: "", healthy: true },
      ];
      for (const e of req.tailEvents < 0 ? all : all.slice(all.length - req.tailEvents))
        yield { ...e, time: timestampFromDate(new Date("2026-01-01T00:00:00Z")) };
    },
  });
  cfg = join(io.dir, "cfg");
  writeFileSync(cfg, server.osconfig("os:reader", [server.endpoint], ["10.0.0.11"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("logs prints the kept lines; --tail N asks for N; several nodes prefix each line", async () => {
  const all = await osctl(io, "--osconfig", cfg, "logs", "etcd");
  expect(all.code).toBe(0);
  expect(all.stdout).toBe("one\ntwo\nthree\n");
  expect(requests.at(-1)).toMatchObject({ id: "etcd", follow: false, tailLines: -1 });
  const tail = await osctl(io, "--osconfig", cfg, "logs", "etcd", "--tail", "1", "-n", "a,b");
  expect(tail.stdout.split("\n").filter(Boolean).sort()).toEqual(["a: three", "b: three"]);
  expect(requests.at(-1)?.tailLines).toBe(1);
  const cut = await osctl(io, "--osconfig", cfg, "logs", "cut");
  expect(cut.stdout).toBe("[machined] starting\nhéllo\nlast\n");
});

test("logs -f streams until cancelled, and the server sees the cancellation", async () => {
  const controller = new AbortController();
  io.out.length = 0;
  const before = followersCancelled;
  const abortAtLive3 = eventually("live 3 printed", () => io.out.join("").includes("live 3"), 10_000, 5).then(
    () => controller.abort(),
  );
  const code = await logs("etcd", { follow: true, tail: 2 }, { osconfig: cfg }, io, controller.signal);
  await abortAtLive3;
  expect(code).toBe(0);
  expect(io.out.join("")).toStartWith("two\nthree\nlive 1\nlive 2\nlive 3\n");
  await eventually("the server saw the cancellation", () => followersCancelled === before + 1, 5000, 10);
});

test("the real CLI: logs -f keeps streaming until interrupted with SIGINT", async () => {
  const before = followersCancelled;
  const proc = Bun.spawn(
    ["bun", join(import.meta.dir, "../main.ts"), "--osconfig", cfg, "logs", "etcd", "-f"],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const reader = proc.stdout.getReader();
  let seen = "";
  while (!seen.includes("live 2")) {
    const chunk = await reader.read();
    if (chunk.done) break;
    seen += new TextDecoder().decode(chunk.value);
  }
  expect(seen).toStartWith("one\ntwo\nthree\nlive 1\n");
  proc.kill("SIGINT");
  await proc.exited;
  expect(proc.signalCode ?? proc.exitCode).not.toBe(0);
  await eventually("the server saw the cancellation", () => followersCancelled === before + 1, 5000, 10);
});

test("dmesg formats like dmesg(1); events print time, service, state and message", async () => {
  expect(formatKernelMessage(create(KernelMessageSchema, { timestampUsec: 5_000_001n, message: "m" }))).toBe(
    "[    5.000001] m",
  );
  const d = await osctl(io, "--osconfig", cfg, "dmesg");
  expect(d.stdout).toBe("[    1.234567] Linux version 6.1\n");
  const e = await osctl(io, "--osconfig", cfg, "events", "--tail", "1");
  expect(e.stdout).toBe("2026-01-01T00:00:00.000Z etcd Running [healthy]\n");
  const all = await osctl(io, "--osconfig", cfg, "events");
  expect(all.stdout).toContain("etcd Waiting: Waiting for network\n");
});
