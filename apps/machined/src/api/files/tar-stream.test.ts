import { afterAll, expect, test } from "bun:test";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHUNK_BYTES, tarStream } from "./tar-stream.ts";

const scratch = mkdtempSync(join(tmpdir(), "bronze-tar-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const longDir = "d".repeat(120);
const veryLong = `${"x".repeat(150)}/${"y".repeat(150)}/${"z".repeat(120)}`;
const big = Buffer.alloc(200_000);
for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;

function makeTree(): string {
  const root = join(scratch, "tree");
  mkdirSync(join(root, "sub", "empty"), { recursive: true });
  writeFileSync(join(root, "hello.txt"), "hello\n");
  writeFileSync(join(root, "sub", "big.bin"), big);
  writeFileSync(join(root, "sub", "exec.sh"), "#!/bin/true\n", { mode: 0o750 });
  mkdirSync(join(root, longDir));
  writeFileSync(join(root, longDir, "f.txt"), "under a long directory name");
  mkdirSync(join(root, veryLong), { recursive: true });
  writeFileSync(join(root, veryLong, "deep.txt"), "deep");
  writeFileSync(join(root, "héllo-ünïcode.txt"), "unicode");
  symlinkSync("../outside/target-that-is-quite-long".repeat(4), join(root, "long-link"));
  symlinkSync("hello.txt", join(root, "link"));
  return root;
}

async function collect(gen: AsyncGenerator<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of gen) {
    expect(chunk.length).toBeLessThanOrEqual(CHUNK_BYTES);
    expect(chunk.length).toBeGreaterThan(0);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

test("GNU tar lists and extracts the archive byte for byte", async () => {
  const root = makeTree();
  const archive = await collect(tarStream(root, "/var/tree"));
  expect(archive.length % 512).toBe(0);
  const tarFile = join(scratch, "out.tar");
  writeFileSync(tarFile, archive);

  const list = Bun.spawnSync(["tar", "-tf", tarFile]);
  expect(list.stderr.toString()).toBe("");
  const names = list.stdout.toString().trim().split("\n");
  expect(names).toContain("tree/");
  expect(names).toContain("tree/hello.txt");
  expect(names).toContain("tree/sub/empty/");
  expect(names).toContain(`tree/${longDir}/f.txt`);
  expect(names).toContain(`tree/${veryLong}/deep.txt`);
  expect(names).toContain("tree/héllo-ünïcode.txt");

  const out = join(scratch, "extract");
  mkdirSync(out);
  const x = Bun.spawnSync(["tar", "-xf", tarFile, "-C", out]);
  expect(x.exitCode).toBe(0);
  const t = join(out, "tree");
  expect(readFileSync(join(t, "hello.txt"), "utf8")).toBe("hello\n");
  expect(Buffer.compare(readFileSync(join(t, "sub", "big.bin")), big)).toBe(0);
  expect(lstatSync(join(t, "sub", "exec.sh")).mode & 0o777).toBe(0o750);
  expect(readFileSync(join(t, veryLong, "deep.txt"), "utf8")).toBe("deep");
  expect(readFileSync(join(t, "héllo-ünïcode.txt"), "utf8")).toBe("unicode");
  expect(readlinkSync(join(t, "link"))).toBe("hello.txt");
  expect(readlinkSync(join(t, "long-link"))).toBe("../outside/target-that-is-quite-long".repeat(4));
});

test("a single file archives under its base name", async () => {
  const file = join(scratch, "single.conf");
  writeFileSync(file, "x=1\n");
  const tarFile = join(scratch, "single.tar");
  writeFileSync(tarFile, await collect(tarStream(file, "/etc/single.conf")));
  const list = Bun.spawnSync(["tar", "-tvf", tarFile]).stdout.toString().trim().split("\n");
  expect(list).toHaveLength(1);
  expect(list[0]).toMatch(/ 4 .* single\.conf$/);
});

test("a missing root fails", async () => {
  await expect(collect(tarStream(join(scratch, "nope"), "/nope"))).rejects.toThrow(/ENOENT/);
});
