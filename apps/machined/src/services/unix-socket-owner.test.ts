import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertSocketOwner, listeningSocketInodes, processHoldsSocket } from "./unix-socket-owner.ts";

let dir: string;
let server: Server | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sock-owner-"));
});
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const listen = (path: string) =>
  new Promise<Server>((resolve) => {
    const s = createServer(() => {});
    s.listen(path, () => resolve(s));
  });

test("listening sockets by path from /proc/net/unix; connected ones and other paths are not", () => {
  const table = [
    "Num       RefCount Protocol Flags    Type St Inode Path",
    "0000000000000000: 00000002 00000000 00010000 0001 01 111 /run/containerd/containerd.sock",
    "0000000000000000: 00000003 00000000 00000000 0001 03 222 /run/containerd/containerd.sock",
    "0000000000000000: 00000002 00000000 00010000 0001 01 333 /run/other.sock",
    "0000000000000000: 00000002 00000000 00010000 0001 01 444 /run/with space.sock",
    "0000000000000000: 00000003 00000000 00000000 0001 03 555",
  ].join("\n");
  expect(listeningSocketInodes(table, "/run/containerd/containerd.sock")).toEqual([111]);
  expect(listeningSocketInodes(table, "/run/with space.sock")).toEqual([444]);
  expect(listeningSocketInodes(table, "/nowhere.sock")).toEqual([]);
});

test("the process listening on a socket is its owner; another process and a dead socket are not", async () => {
  const path = join(dir, "s.sock");
  expect(() => assertSocketOwner(path, process.pid, "the test")).toThrow(
    `nothing listens on ${path}: the test (pid ${process.pid}) does not serve it`,
  );
  server = await listen(path);
  assertSocketOwner(path, process.pid, "the test");
  const other = Bun.spawn(["sleep", "30"]);
  try {
    expect(() => assertSocketOwner(path, other.pid, "containerd")).toThrow(
      `${path} is served by another process, not by containerd (pid ${other.pid})`,
    );
  } finally {
    other.kill();
  }
  expect(processHoldsSocket(2 ** 22 + 1, [1])).toBe(false);
});
