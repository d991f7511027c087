// releaseMounts against the real kernel: tmpfs and bind mounts on a private temp dir (run as root, as
// the other component tests), one of them held busy by an open file. Every mount is taken down at the
// end whatever happened.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MNT_DETACH, MS_BIND } from "../sys/constants.ts";
import { LibcSys } from "../sys/libc-sys.ts";
import { parseMountinfo } from "../sys/proc/mountinfo.ts";
import { releaseMounts } from "./release-mounts.ts";

const sys = new LibcSys();
let base: string;
let source: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "bronze-release-"));
  source = `bronze-release-${process.pid}-${Date.now()}`;
});

afterEach(() => {
  for (const m of parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")).reverse())
    if (m.mountPoint.startsWith(base))
      try {
        sys.umount2(m.mountPoint, MNT_DETACH);
      } catch {}
  rmSync(base, { recursive: true, force: true });
});

const mountsBelowBase = () =>
  parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")).filter((m) => m.mountPoint.startsWith(base));

const deps = (log: string[]) => ({
  mountinfo: () => readFileSync("/proc/self/mountinfo", "utf8"),
  umount2: (target: string, flags?: number) => sys.umount2(target, flags),
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  log: (line: string) => log.push(line),
});

/** "/var" on the fake device, a nested mount below it, and a bind of it elsewhere. */
function layout(): { varDir: string; nested: string; bind: string } {
  const varDir = join(base, "var");
  const nested = join(varDir, "lib", "containerd", "rootfs");
  const bind = join(base, "etc-bind");
  mkdirSync(varDir);
  mkdirSync(bind);
  sys.mount(source, varDir, "tmpfs", 0, "size=1m");
  mkdirSync(nested, { recursive: true });
  mkdirSync(join(varDir, "data"));
  sys.mount("bronze-release-overlay", nested, "tmpfs", 0, "size=1m");
  sys.mount(join(varDir, "data"), bind, null, MS_BIND);
  return { varDir, nested, bind };
}

test("every mount of the device and below it goes, without a lazy detach", async () => {
  const { varDir } = layout();
  expect(mountsBelowBase()).toHaveLength(3);
  const log: string[] = [];
  const umounts: Array<[string, number | undefined]> = [];
  const still = await releaseMounts([source], [], {
    ...deps(log),
    umount2: (target, flags) => {
      umounts.push([target, flags]);
      sys.umount2(target, flags);
    },
  });
  expect(still).toEqual([]);
  expect(mountsBelowBase()).toEqual([]);
  expect(umounts.every(([, flags]) => flags === 0)).toBe(true);
  // the nested mount went before its parent
  const order = umounts.map(([t]) => t);
  expect(order.indexOf(varDir)).toBe(order.length - 1);
});

test("a mount held busy is retried, then reported still mounted; freed, it goes", async () => {
  const { nested } = layout();
  writeFileSync(join(nested, "held"), "x");
  const fd = openSync(join(nested, "held"), "r");
  try {
    const log: string[] = [];
    const still = await releaseMounts([source], [], deps(log), { attempts: 3, retryMs: 20 });
    expect(still).toEqual([`${source} on ${join(base, "var")}`]);
    expect(log.some((l) => l.includes(`cannot unmount ${nested}`) && l.includes("EBUSY"))).toBe(true);
    // the busy mount and its parent stay where they were: nothing was detached lazily
    expect(mountsBelowBase().map((m) => m.mountPoint)).toEqual([join(base, "var"), nested]);
  } finally {
    closeSync(fd);
  }
  expect(await releaseMounts([source], [], deps([]), { attempts: 3, retryMs: 20 })).toEqual([]);
  expect(mountsBelowBase()).toEqual([]);
});

test("paths name roots to clear whatever their source (an overlay under /var)", async () => {
  const { nested } = layout();
  const still = await releaseMounts(["/dev/not-mounted"], [join(base, "var", "lib")], deps([]));
  expect(still).toEqual([]);
  expect(mountsBelowBase().map((m) => m.mountPoint)).not.toContain(nested);
  expect(mountsBelowBase().map((m) => m.mountPoint)).toContain(join(base, "var"));
});
