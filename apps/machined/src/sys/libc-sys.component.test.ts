// Tests of the real libc implementation. They run as root on the host but only do harmless things:
// tmpfs/bind mounts on private temp dirs (always unmounted), loop devices on temp images, signals to our
// own children. reboot, sethostname, chroot and pivot_root are never called for real here.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { MNT_DETACH, MS_BIND, MS_RDONLY, MS_REMOUNT, WNOHANG } from "./constants.ts";
import { LibcSys } from "./libc-sys.ts";
import { SysError } from "./sys-error.ts";

const sys = new LibcSys();
let base: string;
const mounted: string[] = [];

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "bronze-sys-"));
});

afterEach(() => {
  // Never leave a mount behind on the host, whatever happened in the test.
  while (mounted.length > 0) {
    const target = mounted.pop() as string;
    try {
      sys.umount2(target, MNT_DETACH);
    } catch {}
  }
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

function dir(name: string): string {
  const d = join(base, name);
  mkdirSync(d, { recursive: true });
  return d;
}

interface MountInfo {
  mountPoint: string;
  mountOptions: string;
  fstype: string;
  source: string;
  superOptions: string;
}

function mountsAt(target: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    if (line === "") continue;
    const [left, right] = line.split(" - ");
    const f = (left ?? "").split(" ");
    const r = (right ?? "").split(" ");
    if (f[4] === target) {
      out.push({
        mountPoint: f[4],
        mountOptions: f[5] ?? "",
        fstype: r[0] ?? "",
        source: r[1] ?? "",
        superOptions: r[2] ?? "",
      });
    }
  }
  return out;
}

function expectSysError(fn: () => unknown, code: string): SysError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SysError);
    expect((e as SysError).code).toBe(code);
    return e as SysError;
  }
  throw new Error(`expected SysError ${code}, nothing was thrown`);
}

describe("mount / umount2", () => {
  test("tmpfs with data shows in mountinfo and goes away with MNT_DETACH", () => {
    const target = dir("tmpfs");
    sys.mount("bronze-test", target, "tmpfs", 0, "size=1m,mode=0700");
    mounted.push(target);
    const [info] = mountsAt(target);
    expect(info).toBeDefined();
    expect(info?.fstype).toBe("tmpfs");
    expect(info?.source).toBe("bronze-test");
    expect(info?.superOptions).toContain("size=1024k");
    expect(info?.superOptions).toContain("mode=700");
    writeFileSync(join(target, "inside"), "x");

    sys.umount2(target, MNT_DETACH);
    mounted.pop();
    expect(mountsAt(target)).toHaveLength(0);
    expect(existsSync(join(target, "inside"))).toBe(false);
  });

  test("read-only bind mount: reads work, writes fail with EROFS", () => {
    const src = dir("bind-src");
    writeFileSync(join(src, "hello"), "world");
    const target = dir("bind-dst");
    sys.mount(src, target, null, MS_BIND);
    mounted.push(target);
    sys.mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY);
    expect(readFileSync(join(target, "hello"), "utf8")).toBe("world");
    expect(mountsAt(target)[0]?.mountOptions.split(",")).toContain("ro");
    let code: string | undefined;
    try {
      writeFileSync(join(target, "new"), "nope");
    } catch (e) {
      code = (e as NodeJS.ErrnoException).code;
    }
    expect(code).toBe("EROFS");
    // The source itself is still writable.
    writeFileSync(join(src, "new"), "yes");
    expect(readFileSync(join(target, "new"), "utf8")).toBe("yes");
  });

  test("mount on a missing directory: SysError ENOENT naming the call", () => {
    const missing = join(base, "does", "not", "exist");
    const err = expectSysError(() => sys.mount("/dev/loop0", missing, "squashfs", MS_RDONLY), "ENOENT");
    expect(err.errno).toBe(2);
    expect(err.call).toBe(`mount("/dev/loop0", "${missing}", "squashfs", MS_RDONLY)`);
    expect(err.message).toContain(`mount("/dev/loop0", "${missing}", "squashfs", MS_RDONLY)`);
    expect(err.message).toContain("No such file or directory");
  });

  test("umount2 of something that is not a mount point: EINVAL", () => {
    const err = expectSysError(() => sys.umount2(dir("not-a-mount"), MNT_DETACH), "EINVAL");
    expect(err.call).toContain("MNT_DETACH");
    expect(err.message).toContain("Invalid argument");
  });
});

describe("loop devices", () => {
  const haveMkfs = spawnSync("mkfs.ext4", ["-V"]).status === 0;

  function makeExt4Image(name: string): string {
    const content = dir(`${name}-content`);
    writeFileSync(join(content, "release"), "bronze\n");
    const image = join(base, `${name}.img`);
    writeFileSync(image, "");
    const truncate = spawnSync("truncate", ["-s", "8M", image]);
    expect(truncate.status).toBe(0);
    const mkfs = spawnSync("mkfs.ext4", ["-q", "-F", "-d", content, image]);
    expect(mkfs.stderr.toString()).toBe("");
    expect(mkfs.status).toBe(0);
    return image;
  }

  function sysfsLoop(index: number, file: string): string | undefined {
    const p = `/sys/block/loop${index}/${file}`;
    return existsSync(p) ? readFileSync(p, "utf8").trim() : undefined;
  }

  const waitDetached = (index: number) =>
    eventually(`loop${index} detached`, () => sysfsLoop(index, "loop/backing_file") === undefined, 5000, 20);

  test("loopGetFree returns an unbound device", () => {
    const index = sys.loopGetFree();
    expect(index).toBeGreaterThanOrEqual(0);
    expect(existsSync(`/dev/loop${index}`)).toBe(true);
    expect(sysfsLoop(index, "loop/backing_file")).toBeUndefined();
  });

  test("attach an ext4 image read-only with autoclear, mount it, detach by unmounting", async () => {
    expect(haveMkfs).toBe(true);
    const image = makeExt4Image("root");
    const loop = sys.loopAttach(image, { readOnly: true, autoclear: true });
    try {
      expect(loop.path).toBe(`/dev/loop${loop.index}`);
      expect(sysfsLoop(loop.index, "loop/backing_file")).toBe(image);
      expect(sysfsLoop(loop.index, "ro")).toBe("1");
      expect(sysfsLoop(loop.index, "loop/autoclear")).toBe("1");

      const target = dir("loop-mnt");
      sys.mount(loop.path, target, "ext4", MS_RDONLY);
      mounted.push(target);
      expect(readFileSync(join(target, "release"), "utf8")).toBe("bronze\n");
      expect(mountsAt(target)[0]?.source).toBe(loop.path);

      // Closing our fd keeps the device while it is mounted...
      loop.close();
      expect(sysfsLoop(loop.index, "loop/backing_file")).toBe(image);
      // ...and unmounting releases it (autoclear).
      sys.umount2(target, 0);
      mounted.pop();
      await waitDetached(loop.index);
    } finally {
      loop.close();
    }
  });

  test("attach read-write without autoclear, then loopDetach", async () => {
    const image = join(base, "plain.img");
    writeFileSync(image, Buffer.alloc(1 << 20));
    const loop = sys.loopAttach(image, { readOnly: false, autoclear: false });
    try {
      expect(sysfsLoop(loop.index, "loop/backing_file")).toBe(image);
      expect(sysfsLoop(loop.index, "ro")).toBe("0");
      expect(sysfsLoop(loop.index, "loop/autoclear")).toBe("0");
      loop.close();
      // Without autoclear, closing does not detach.
      expect(sysfsLoop(loop.index, "loop/backing_file")).toBe(image);
    } finally {
      sys.loopDetach(loop.path);
    }
    await waitDetached(loop.index);
    // Detaching an unbound device is ENXIO.
    expectSysError(() => sys.loopDetach(loop.path), "ENXIO");
  });

  test("the LOOP_SET_FD + LOOP_SET_STATUS64 path (kernels before 5.8) sets the same flags", async () => {
    const image = join(base, "legacy.img");
    writeFileSync(image, Buffer.alloc(1 << 20));
    const legacy = new LibcSys({ loopConfigure: false });
    const loop = legacy.loopAttach(image, { readOnly: true, autoclear: true });
    try {
      expect(sysfsLoop(loop.index, "loop/backing_file")).toBe(image);
      expect(sysfsLoop(loop.index, "ro")).toBe("1");
      expect(sysfsLoop(loop.index, "loop/autoclear")).toBe("1");
    } finally {
      loop.close();
    }
    // Nothing mounted it: closing the last fd detaches it.
    await waitDetached(loop.index);
  });

  test("attaching a missing file names the open", () => {
    const err = expectSysError(() => sys.loopAttach(join(base, "missing.sqsh")), "ENOENT");
    expect(err.call).toContain("missing.sqsh");
  });
});

describe("processes", () => {
  test("kill with signal 0 probes a live child; SIGTERM ends it; then ESRCH", async () => {
    const child = Bun.spawn(["sleep", "30"]);
    sys.kill(child.pid, 0);
    sys.kill(child.pid, "SIGTERM");
    await child.exited;
    expect(child.signalCode).toBe("SIGTERM");
    expectSysError(() => sys.kill(child.pid, 0), "ESRCH");
  });

  test("waitpid on a pid that is not our child: ECHILD", () => {
    expectSysError(() => sys.waitpid(1, WNOHANG), "ECHILD");
  });

  test("getpid is our pid", () => {
    expect(sys.getpid()).toBe(process.pid);
  });

  test("exec of a missing program throws ENOENT and returns control", () => {
    expectSysError(() => sys.exec(join(base, "no-such-binary"), ["x"], {}), "ENOENT");
  });

  test("exec replaces the process (in a child bun)", () => {
    const script = `
      import { LibcSys } from ${JSON.stringify(join(import.meta.dir, "libc-sys.ts"))};
      new LibcSys().exec("/bin/sh", ["sh", "-c", "echo \\"$0 $BRONZE_X\\""], { BRONZE_X: "replaced" });
    `;
    const r = spawnSync(process.execPath, ["-e", script]);
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe("sh replaced\n");
    expect(r.status).toBe(0);
  });
});

describe("finit_module", () => {
  test("a file that is not a module is refused with a SysError naming finit_module", () => {
    const fd = openSync("/proc/self/cmdline", "r");
    try {
      sys.finitModule(fd, "foo=1", 0);
      throw new Error("finit_module accepted /proc/self/cmdline");
    } catch (e) {
      expect(e).toBeInstanceOf(SysError);
      const err = e as SysError;
      // ENOSYS without module support, otherwise the kernel rejects the file itself.
      expect(["ENOSYS", "ENOEXEC", "EINVAL", "EBADMSG", "EFBIG", "ENOKEY", "EKEYREJECTED"]).toContain(
        err.code,
      );
      expect(err.call).toBe(`finit_module(${fd}, "foo=1", 0)`);
    }
  });
});

describe("sysctl and cmdline with an injected proc root", () => {
  test("writeSysctl writes the mapped path; readSysctl reads it back", () => {
    const proc = dir("proc");
    mkdirSync(join(proc, "sys/net/ipv4/conf/eth0.100"), { recursive: true });
    writeFileSync(join(proc, "sys/net/ipv4/ip_forward"), "0\n");
    writeFileSync(join(proc, "sys/net/ipv4/conf/eth0.100/rp_filter"), "0\n");
    const fake = new LibcSys({ procRoot: proc });
    fake.writeSysctl("net.ipv4.ip_forward", "1");
    expect(readFileSync(join(proc, "sys/net/ipv4/ip_forward"), "utf8")).toBe("1");
    expect(fake.readSysctl("net.ipv4.ip_forward")).toBe("1");
    fake.writeSysctl("net/ipv4/conf/eth0.100/rp_filter", "2");
    expect(fake.readSysctl("net/ipv4/conf/eth0.100/rp_filter")).toBe("2");
  });

  test("an unknown sysctl is ENOENT naming it", () => {
    const fake = new LibcSys({ procRoot: dir("proc-empty") });
    const err = expectSysError(() => fake.writeSysctl("kernel.nope", "1"), "ENOENT");
    expect(err.call).toBe('writeSysctl("kernel.nope", "1")');
    expect(err.message).toContain("No such file or directory");
  });

  test("readCmdline strips the trailing newline", () => {
    const proc = dir("proc-cmdline");
    writeFileSync(join(proc, "cmdline"), "console=ttyS0 bronze.platform=metal slab_nomerge\n");
    expect(new LibcSys({ procRoot: proc }).readCmdline()).toBe(
      "console=ttyS0 bronze.platform=metal slab_nomerge",
    );
  });

  test("readCmdline reads the real kernel command line", () => {
    expect(sys.readCmdline()).toBe(readFileSync("/proc/cmdline", "utf8").trim());
  });
});
