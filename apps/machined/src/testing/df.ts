// What df(1) says of a file system, in bytes: the reference statfs figures are checked against.

/** df's size and available space for `path` (f_blocks and f_bavail times f_frsize). */
export function df(path: string): { size: bigint; available: bigint } {
  const out = Bun.spawnSync(["df", "-B1", "--output=size,avail", path]).stdout.toString();
  const [size, available] = (out.trim().split("\n").at(-1) ?? "").trim().split(/\s+/);
  return { size: BigInt(size ?? -1), available: BigInt(available ?? -1) };
}
