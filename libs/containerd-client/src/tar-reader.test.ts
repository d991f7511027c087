import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTar } from "@bronze/files";
import { isContainerdError } from "./errors.ts";
import { readTar, type TarHeader } from "./tar-reader.ts";

const dir = mkdtempSync(join(tmpdir(), "tar-reader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(data: Uint8Array, chunk = 1000): Promise<{ header: TarHeader; text: string }[]> {
  const out: { header: TarHeader; text: string }[] = [];
  for await (const e of readTar(chunked(data, chunk)))
    out.push({ header: e.header, text: Buffer.from(await e.bytes()).toString() });
  return out;
}

test("reads archives made by GNU tar, including long names, symlinks and hard links", async () => {
  const src = join(dir, "src");
  const deep = join(src, "a".repeat(90), "b".repeat(90));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, "c".repeat(80)), "deep file");
  writeFileSync(join(src, "f"), "x".repeat(1500));
  symlinkSync("f", join(src, "link"));
  Bun.spawnSync(["ln", join(src, "f"), join(src, "hard")]);
  const gnu = join(dir, "gnu.tar");
  const pax = join(dir, "pax.tar");
  for (const [file, format] of [
    [gnu, "gnu"],
    [pax, "pax"],
  ] as const)
    expect(Bun.spawnSync(["tar", "-cf", file, `--format=${format}`, "-C", src, "."]).exitCode).toBe(0);
  for (const file of [gnu, pax]) {
    // odd chunk sizes make headers and bodies straddle reads
    const entries = await readAll(readFileSync(file), 333);
    const byPath = new Map(entries.map((e) => [e.header.path.replace(/^\.\//, ""), e]));
    expect(byPath.get("f")?.text).toBe("x".repeat(1500));
    expect(byPath.get("link")?.header).toMatchObject({ type: "symlink", linkName: "f" });
    expect(byPath.get(`${"a".repeat(90)}/${"b".repeat(90)}/${"c".repeat(80)}`)?.text).toBe("deep file");
    expect(byPath.get(`${"a".repeat(90)}/`)?.header.type).toBe("directory");
    expect([...byPath.values()].some((e) => e.header.type === "hardlink")).toBe(true);
  }
});

test("round-trips our own writer, and skips bodies the caller does not read", async () => {
  const data = Buffer.concat(
    writeTar([
      { path: "one", type: "file", data: new Uint8Array(700).fill(1) },
      { path: `${"p".repeat(200)}`, type: "file", data: new TextEncoder().encode("pax") },
      { path: "three", type: "file", data: new TextEncoder().encode("3") },
    ]),
  );
  const seen: string[] = [];
  for await (const e of readTar(chunked(data, 4096))) {
    seen.push(e.header.path);
    if (e.header.path === "three") expect(Buffer.from(await e.bytes()).toString()).toBe("3");
  }
  expect(seen).toEqual(["one", "p".repeat(200), "three"]);
});

test("corrupt and truncated archives fail with InvalidArgument naming the place", async () => {
  const good = Buffer.concat(writeTar([{ path: "big", type: "file", data: new Uint8Array(5000) }]));
  const truncated = readAll(good.subarray(0, 2048));
  await expect(truncated).rejects.toThrow('archive is truncated in entry "big"');
  const garbage = crypto.getRandomValues(new Uint8Array(2048));
  try {
    await readAll(garbage);
    throw new Error("no error");
  } catch (e) {
    expect(isContainerdError(e, "InvalidArgument")).toBe(true);
    expect((e as Error).message).toContain("bad header checksum at byte 0");
  }
  await expect(readAll(new Uint8Array(0))).rejects.toThrow("archive is empty");
});

test("a body abandoned half-way is skipped to the next entry", async () => {
  const data = Buffer.concat(
    writeTar([
      { path: "big", type: "file", data: new Uint8Array(10_000).fill(7) },
      { path: "next", type: "file", data: new TextEncoder().encode("after") },
    ]),
  );
  const seen: string[] = [];
  for await (const e of readTar(chunked(data, 1024))) {
    seen.push(e.header.path);
    if (e.header.path === "big") {
      for await (const piece of e.body()) {
        expect(piece[0]).toBe(7);
        break;
      }
    } else expect(Buffer.from(await e.bytes()).toString()).toBe("after");
  }
  expect(seen).toEqual(["big", "next"]);
});
