import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ListResponse } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { CHUNK_BYTES } from "../files/tar-stream.ts";
import { makeFixture } from "../testing/api-fixture.ts";

const f = makeFixture();
afterAll(() => f.cleanup());
const root = f.ctx.filesRoot;
mkdirSync(join(root, "etc", "deep", "er"), { recursive: true });
writeFileSync(join(root, "etc", "hosts"), "127.0.0.1 localhost\n");
writeFileSync(join(root, "etc", "deep", "er", "x"), "x");
const big = Buffer.alloc(3 * CHUNK_BYTES + 17, 7);
writeFileSync(join(root, "big.bin"), big);
symlinkSync("/etc/shadow", join(root, "etc", "escape"));
const admin = f.client("os:admin");

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function failure(it: AsyncIterable<unknown>): Promise<ConnectError> {
  try {
    await all(it);
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
}

test("List: root first, then its entries; deeper with max_depth", async () => {
  const one: ListResponse[] = await all(admin.list({ root: "/etc" }));
  expect(one.map((e) => e.relativeName)).toEqual([".", "deep", "escape", "hosts"]);
  expect(one[0]?.name).toBe("/etc");
  expect(one[0]?.isDir).toBe(true);
  const hosts = one.find((e) => e.name === "/etc/hosts");
  expect(hosts?.size).toBe(20n);
  expect((hosts?.mode ?? 0) & 0o170000).toBe(0o100000);
  expect(one.find((e) => e.relativeName === "escape")?.link).toBe("/etc/shadow");
  const deep = await all(admin.list({ root: "/etc", maxDepth: -1 }));
  expect(deep.map((e) => e.relativeName)).toContain("deep/er/x");
});

test("List: paths cannot leave the files root", async () => {
  const listing = await all(admin.list({ root: "/../../.." }));
  expect(listing[0]?.name).toBe("/");
  expect(listing.map((e) => e.relativeName)).toEqual([".", "big.bin", "etc"]);
  expect((await failure(admin.list({ root: "/etc/escape" }))).code).toBe(Code.PermissionDenied);
  expect((await failure(admin.list({ root: "/nope" }))).code).toBe(Code.NotFound);
});

test("Read streams a file in chunks of at most 64 KiB", async () => {
  const chunks = await all(admin.read({ path: "/big.bin" }));
  expect(chunks.length).toBe(4);
  expect(chunks.every((c) => c.data.length <= CHUNK_BYTES)).toBe(true);
  expect(Buffer.compare(Buffer.concat(chunks.map((c) => c.data)), big)).toBe(0);
  const hosts = await all(admin.read({ path: "etc/../etc/hosts" }));
  expect(Buffer.from(hosts[0]?.data ?? []).toString()).toBe("127.0.0.1 localhost\n");
});

test("Read refuses directories, missing files and escaping symlinks", async () => {
  const dir = await failure(admin.read({ path: "/etc" }));
  expect(dir.code).toBe(Code.InvalidArgument);
  expect(dir.rawMessage).toContain("/etc: not a regular file");
  expect((await failure(admin.read({ path: "/etc/missing" }))).code).toBe(Code.NotFound);
  symlinkSync(join(root, "..", "state"), join(root, "out"));
  mkdirSync(join(root, "..", "state"), { recursive: true });
  writeFileSync(join(root, "..", "state", "secret"), "s");
  const escaped = await failure(admin.read({ path: "/out/secret" }));
  expect(escaped.code).toBe(Code.PermissionDenied);
  expect(escaped.rawMessage).toContain("/out/secret: resolves outside the files root");
});

test("Copy streams a tar archive that tar(1) extracts", async () => {
  const chunks = await all(admin.copy({ rootPath: "/etc" }));
  const tarFile = join(f.dir, "etc.tar");
  writeFileSync(tarFile, Buffer.concat(chunks.map((c) => c.data)));
  const out = join(f.dir, "extract");
  mkdirSync(out);
  expect(Bun.spawnSync(["tar", "-xf", tarFile, "-C", out]).exitCode).toBe(0);
  expect(readFileSync(join(out, "etc", "hosts"), "utf8")).toBe("127.0.0.1 localhost\n");
  expect(readFileSync(join(out, "etc", "deep", "er", "x"), "utf8")).toBe("x");
});

test("Read of a /proc file (stat size 0) returns its content, on the real root", async () => {
  const real = makeFixture({ filesRoot: "/" });
  try {
    const chunks = await all(real.client("os:admin").read({ path: "/proc/version" }));
    const text = Buffer.concat(chunks.map((c) => c.data)).toString();
    expect(text).toStartWith("Linux version ");
    expect(text).toBe(readFileSync("/proc/version", "utf8"));
  } finally {
    await real.cleanup();
  }
});

test("a files root that does not exist is reported, naming it", async () => {
  const g = makeFixture({ filesRoot: "/nonexistent/sandbox" });
  try {
    const err = await failure(g.client("os:admin").list({ root: "/" }));
    expect(err.code).toBe(Code.NotFound);
    expect(err.rawMessage).toContain("/nonexistent/sandbox");
  } finally {
    await g.cleanup();
  }
});
