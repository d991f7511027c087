import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildMountShim, MOUNT_SHIM_FAILED_STATUS } from "./mount-shim.ts";

const OPTIONS = { image: "/rootfs.sqsh", loopDevice: "/dev/loop0", newRoot: "/newroot", init: "/sbin/init" };

async function sh(command: string) {
  const proc = Bun.spawn(["sh", "-c", command], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { out, err, code };
}

describe("buildMountShim", () => {
  test("is a small ELF and validates its input", () => {
    const elf = buildMountShim({ ...OPTIONS, modules: ["/lib/modules/x/loop.ko"], argv: ["/sbin/init"] });
    expect([...elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(elf.length).toBeLessThan(2048);
    expect(() => buildMountShim({ ...OPTIONS, modules: ["loop.ko"], argv: ["x"] })).toThrow(
      "modules[0] must be absolute",
    );
    expect(() => buildMountShim({ ...OPTIONS, modules: [], argv: [] })).toThrow("argv[0]");
  });

  test("asks the kernel to decompress compressed modules (finit_module flag 4), not plain ones", () => {
    const hex = (modules: string[]) =>
      Buffer.from(buildMountShim({ ...OPTIONS, modules, argv: ["/sbin/init"] })).toString("hex");
    const finit = "b839010000"; // mov eax, 313 (finit_module)
    const flagCompressed = `ba04000000${finit}`; // mov edx, 4
    const flagNone = `31d2${finit}`; // xor edx, edx
    expect(hex(["/m/a.ko.xz"])).toContain(flagCompressed);
    expect(hex(["/m/a.ko.xz"])).not.toContain(flagNone);
    expect(hex(["/m/a.ko"])).toContain(flagNone);
    expect(hex(["/m/a.ko"])).not.toContain(flagCompressed);
    const both = hex(["/m/a.ko", "/m/b.ko.zst"]);
    expect(both).toContain(flagNone);
    expect(both).toContain(flagCompressed);
  });

  test("passes a module its parameters (as modprobe would), the others an empty string", () => {
    const shim = Buffer.from(
      buildMountShim({
        ...OPTIONS,
        modules: ["/m/softdog.ko.xz", "/m/loop.ko"],
        moduleParams: { softdog: "soft_margin=30 soft_active_on_boot=1" },
        argv: ["/sbin/init"],
      }),
    );
    expect(shim.includes(Buffer.from("soft_margin=30 soft_active_on_boot=1\0"))).toBe(true);
    const without = Buffer.from(
      buildMountShim({ ...OPTIONS, modules: ["/m/softdog.ko.xz"], argv: ["/sbin/init"] }),
    );
    expect(without.includes(Buffer.from("soft_margin"))).toBe(false);
  });

  // As PID 1 of new PID + mount namespaces, chrooted into a directory laid out like the compact
  // initramfs: attaches a real squashfs to a free loop device, mounts it, switches root, mounts the
  // API file systems and execs busybox from the squashfs. (No module is loaded: that would touch the
  // host's kernel; module loading is covered by the QEMU boot test.)
  describe("runs as PID 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "bronze-mountshim-"));
    const loops: string[] = [];
    afterAll(async () => {
      for (const loop of loops) await sh(`losetup -d ${loop} 2>/dev/null`);
      rmSync(dir, { recursive: true, force: true });
    });

    async function initramfs(name: string, modules: string[], argv: string[]): Promise<string> {
      const root = join(dir, name);
      const tree = join(dir, `${name}-rootfs`);
      for (const d of ["sbin", "proc", "sys", "dev"]) mkdirSync(join(tree, d), { recursive: true });
      copyFileSync("/bin/busybox", join(tree, "sbin/init"));
      chmodSync(join(tree, "sbin/init"), 0o755);
      mkdirSync(join(root, "dev"), { recursive: true });
      mkdirSync(join(root, "newroot"));
      const squash = await sh(
        `mksquashfs ${tree} ${root}/rootfs.sqsh -noappend -quiet -no-progress -all-root`,
      );
      expect(squash.code, squash.err).toBe(0);
      const free = await sh("losetup -f");
      const loop = free.out.trim();
      expect(loop).toMatch(/^\/dev\/loop\d+$/);
      loops.push(loop);
      const mknod = await sh(`mknod ${root}/dev/loop0 b 7 ${loop.slice("/dev/loop".length)}`);
      expect(mknod.code, mknod.err).toBe(0);
      writeFileSync(join(root, "init"), buildMountShim({ ...OPTIONS, modules, argv }), { mode: 0o755 });
      return root;
    }

    test("mounts the squashfs as the new root with /proc, /sys, /dev and execs its init", async () => {
      const root = await initramfs(
        "ok",
        [],
        ["sh", "-c", "echo pid=$$; cat /proc/mounts; ls -d /sys/kernel /dev/null"],
      );
      const run = await sh(`unshare --mount --pid --fork chroot ${root} /init`);
      expect(run.err).toBe("");
      expect(run.code).toBe(0);
      expect(run.out).toContain("pid=1\n");
      expect(run.out).toMatch(/^\/dev\/loop0 \/ squashfs ro[,\s]/m);
      expect(run.out).toMatch(/^proc \/proc proc rw,nosuid,nodev,noexec/m);
      expect(run.out).toMatch(/^sysfs \/sys sysfs rw,nosuid,nodev,noexec/m);
      expect(run.out).toMatch(/^devtmpfs \/dev devtmpfs rw,nosuid/m);
      expect(run.out).toContain("/dev/null\n/sys/kernel\n");
    });

    test("a missing module stops it with a message naming the module, status 127", async () => {
      const root = await initramfs("nomodule", ["/lib/modules/none/missing.ko"], ["sh"]);
      const run = await sh(`unshare --mount --pid --fork chroot ${root} /init`);
      expect(run.err).toBe("bronze-init: open /lib/modules/none/missing.ko failed\n");
      expect(run.code).toBe(MOUNT_SHIM_FAILED_STATUS);
      // with a /dev/kmsg to write to (here a plain file), the message goes there too
      writeFileSync(join(root, "dev/kmsg"), "");
      const again = await sh(`unshare --mount --pid --fork chroot ${root} /init`);
      expect(again.code).toBe(MOUNT_SHIM_FAILED_STATUS);
      expect(readFileSync(join(root, "dev/kmsg"), "utf8")).toBe(
        "bronze-init: open /lib/modules/none/missing.ko failed\n",
      );
    });
  });
});
