import { expect, test } from "bun:test";
import { BLOCK, tarHeader, tarPadding } from "./tar-header.ts";

const text = (b: Uint8Array, from: number, length: number) =>
  new TextDecoder().decode(b.subarray(from, from + length)).replace(/\0.*$/s, "");

const base = { mode: 0o644, uid: 1000, gid: 100, size: 5, mtime: 1_700_000_000 };

test("a ustar header: fields in octal, magic, and a checksum tar accepts", () => {
  const h = tarHeader({ ...base, path: "etc/hosts", type: "file" });
  expect(h.length).toBe(BLOCK);
  expect(text(h, 0, 100)).toBe("etc/hosts");
  expect(text(h, 100, 8)).toBe("0000644");
  expect(text(h, 108, 8)).toBe("0001750");
  expect(text(h, 124, 12)).toBe("00000000005");
  expect(text(h, 156, 1)).toBe("0");
  expect(text(h, 257, 6)).toBe("ustar");
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
  expect(Number.parseInt(text(h, 148, 8), 8)).toBe(sum);
});

test("directories end with '/', symlinks carry their target, sizes are 0", () => {
  const d = tarHeader({ ...base, path: "etc", type: "directory" });
  expect(text(d, 0, 100)).toBe("etc/");
  expect(text(d, 156, 1)).toBe("5");
  expect(text(d, 124, 12)).toBe("00000000000");
  const l = tarHeader({ ...base, path: "link", type: "symlink", linkTarget: "hosts" });
  expect(text(l, 156, 1)).toBe("2");
  expect(text(l, 157, 100)).toBe("hosts");
});

test("long paths split into prefix and name; longer ones get a PAX header", () => {
  const split = `${"a".repeat(120)}/file`;
  const h = tarHeader({ ...base, path: split, type: "file" });
  expect(h.length).toBe(BLOCK);
  expect(text(h, 345, 155)).toBe("a".repeat(120));
  expect(text(h, 0, 100)).toBe("file");
  const long = `${"b".repeat(300)}/file`;
  const p = tarHeader({ ...base, path: long, type: "file" });
  expect(p.length).toBe(3 * BLOCK);
  expect(text(p, 156, 1)).toBe("x");
  const record = text(p, BLOCK, BLOCK);
  expect(record).toBe(`${record.split(" ")[0]} path=${long}\n`);
  expect(Number(record.split(" ")[0])).toBe(new TextEncoder().encode(record).length);
  expect(text(p, 2 * BLOCK + 156, 1)).toBe("0");
});

test("padding fills the last block", () => {
  expect(tarPadding(0).length).toBe(0);
  expect(tarPadding(1).length).toBe(511);
  expect(tarPadding(512).length).toBe(0);
  expect(tarPadding(513).length).toBe(511);
});
