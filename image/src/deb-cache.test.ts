import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DebCache, parsePrintUris } from "./deb-cache.ts";
import { sha256Hex } from "./manifest.ts";
import type { RunTool } from "./run-tool.ts";

const LINE =
  "'http://deb.debian.org/debian/pool/main/r/runc/runc_1.1.5%2bds1-1%2bdeb12u1_amd64.deb' runc_1.1.5+ds1-1+deb12u1_amd64.deb 2709960 SHA256:a00351f8c0318de0b424ecf5cd0fdb69880a89f3511cae4f6fff7de3e57881c5";

describe("parsePrintUris", () => {
  test("reads package, url, file name, size and sha256", () => {
    expect(parsePrintUris(`${LINE}\n`)).toEqual([
      {
        package: "runc",
        url: "http://deb.debian.org/debian/pool/main/r/runc/runc_1.1.5%2bds1-1%2bdeb12u1_amd64.deb",
        filename: "runc_1.1.5+ds1-1+deb12u1_amd64.deb",
        size: 2709960,
        sha256: "a00351f8c0318de0b424ecf5cd0fdb69880a89f3511cae4f6fff7de3e57881c5",
      },
    ]);
  });

  test("an unexpected line is an error with its number", () => {
    expect(() => parsePrintUris(`${LINE}\nE: Unable to locate package nope\n`)).toThrow(
      'apt-get --print-uris line 2: unexpected "E: Unable to locate package nope"',
    );
  });
});

// The cache logic against a fake apt (the real apt is exercised by the build test).
describe("DebCache with a fake apt-get", () => {
  const dir = mkdtempSync(join(tmpdir(), "bronze-debcache-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const content = new TextEncoder().encode("not really a deb");
  const ref = {
    package: "tool",
    url: "http://x/tool_1_amd64.deb",
    filename: "tool_1_amd64.deb",
    size: content.length,
    sha256: sha256Hex(content),
  };
  const calls: string[][] = [];
  const fakeRun: RunTool = async (argv, options) => {
    calls.push([...argv]);
    if (argv[1] === "download" && argv[2] === "--print-uris")
      return `'${ref.url}' ${ref.filename} ${ref.size} SHA256:${ref.sha256}\n`;
    if (argv[1] === "download") writeFileSync(join(options?.cwd ?? "", ref.filename), content);
    if (argv[0] === "dpkg-deb") {
      mkdirSync(argv[3] as string, { recursive: true });
      writeFileSync(join(argv[3] as string, "marker"), "x");
    }
    return "";
  };

  test("downloads once, then serves from the cache; unpacks once", async () => {
    const cache = new DebCache(dir, fakeRun);
    expect(await cache.resolve(["tool"])).toEqual([ref]);
    expect(await cache.resolve(["tool"]).then(() => 1)).toBe(1);
    await expect(cache.resolve(["tool", "other"])).rejects.toThrow("gave no file for package other");
    expect((await cache.fetch([ref])).downloaded).toBe(1);
    expect((await cache.fetch([ref])).downloaded).toBe(0);
    expect(calls.filter((c) => c[1] === "download" && c[2] === "-q")).toHaveLength(1);
    const unpacked = await cache.unpack(ref);
    expect(readFileSync(join(unpacked, "marker"), "utf8")).toBe("x");
    await cache.unpack(ref);
    expect(calls.filter((c) => c[0] === "dpkg-deb")).toHaveLength(1);
  });

  test("a corrupted cached file is removed and reported", async () => {
    const cache = new DebCache(dir, fakeRun);
    writeFileSync(join(cache.debsDir, ref.filename), "tampered");
    await expect(cache.fetch([ref])).rejects.toThrow(
      `tool_1_amd64.deb: sha256 ${sha256Hex(new TextEncoder().encode("tampered"))}`,
    );
    expect(existsSync(join(cache.debsDir, ref.filename))).toBe(false);
  });
});
