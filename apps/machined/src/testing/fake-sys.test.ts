import { describe, expect, test } from "bun:test";
import { MS_BIND, MS_RDONLY, MS_REMOUNT, WNOHANG } from "../sys/constants.ts";
import { SysError } from "../sys/sys-error.ts";
import { FakeExecError, FakeSys } from "./fake-sys.ts";

describe("FakeSys", () => {
  test("records calls in order with their arguments", () => {
    const sys = new FakeSys();
    sys.mount("tmpfs", "/system", "tmpfs", 0, "mode=0755");
    sys.sethostname("node-1");
    sys.reboot("poweroff");
    expect(sys.calls).toEqual([
      { name: "mount", args: ["tmpfs", "/system", "tmpfs", 0, "mode=0755"] },
      { name: "sethostname", args: ["node-1"] },
      { name: "reboot", args: ["poweroff"] },
    ]);
    expect(sys.hostname).toBe("node-1");
    expect(sys.rebooted).toBe("poweroff");
  });

  test("failNext fails the matching call once with a SysError like the real one", () => {
    const sys = new FakeSys();
    sys.failNext("mount", "EBUSY", (args) => args[1] === "/var");
    sys.mount("tmpfs", "/system", "tmpfs");
    let err: unknown;
    try {
      sys.mount("/dev/vda5", "/var", "xfs");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SysError);
    expect((err as SysError).code).toBe("EBUSY");
    expect((err as SysError).message).toBe(
      'mount("/dev/vda5", "/var", "xfs", 0, NULL) failed: Device or resource busy (EBUSY)',
    );
    sys.mount("/dev/vda5", "/var", "xfs"); // only once
    expect(sys.mounts.has("/var")).toBe(true);
    expect(sys.callsOf("mount")).toHaveLength(3);
  });

  test("failAlways keeps failing; unknown errno names are a TypeError", () => {
    const sys = new FakeSys().failAlways("sethostname", "EPERM");
    expect(() => sys.sethostname("a")).toThrow("(EPERM)");
    expect(() => sys.sethostname("b")).toThrow("(EPERM)");
    expect(sys.hostname).toBe("localhost");
    expect(() => sys.failNext("mount", "EWHATEVER")).toThrow(TypeError);
  });

  test("mount table: bind, remount read-only, umount; umount of a non-mount is EINVAL", () => {
    const sys = new FakeSys();
    sys.mount("/src", "/dst", null, MS_BIND);
    sys.mount(null, "/dst", null, MS_BIND | MS_REMOUNT | MS_RDONLY);
    expect(sys.mounts.get("/dst")).toMatchObject({ source: "/src", flags: MS_BIND | MS_RDONLY });
    sys.umount2("/dst");
    expect(sys.mounts.size).toBe(0);
    expect(() => sys.umount2("/dst")).toThrow("(EINVAL)");
    expect(() => sys.mount("x", "/y", null)).toThrow("(EINVAL)"); // no fstype, not a bind
  });

  test("loop devices: autoclear detaches after close once unmounted", () => {
    const sys = new FakeSys();
    const loop = sys.loopAttach("/rootfs.sqsh");
    expect(loop.path).toBe("/dev/loop0");
    expect(sys.loopReadOnly(0)).toBe(true);
    sys.mount(loop.path, "/root", "squashfs", MS_RDONLY);
    loop.close();
    expect(sys.loops.has(0)).toBe(true);
    expect(sys.loopGetFree()).toBe(1);
    sys.umount2("/root");
    expect(sys.loops.has(0)).toBe(false);
    const plain = sys.loopAttach("/img", { autoclear: false, readOnly: false });
    plain.close();
    expect(sys.loops.has(plain.index)).toBe(true);
    sys.loopDetach(plain.path);
    expect(() => sys.loopDetach(plain.path)).toThrow("(ENXIO)");
  });

  test("waitpid: zombies are collected once, running children give 0 with WNOHANG, others ECHILD", () => {
    const sys = new FakeSys();
    sys.addChild(10);
    sys.addChild(11);
    expect(sys.waitpid(-1, WNOHANG).pid).toBe(0);
    sys.exitChild(11, 3);
    expect(sys.waitpid(-1, WNOHANG)).toEqual({ pid: 11, status: 3 << 8, exitCode: 3, signal: null });
    sys.exitChild(10, null, 9);
    expect(sys.waitpid(10, WNOHANG)).toMatchObject({ pid: 10, signal: 9, exitCode: null });
    expect(() => sys.waitpid(10, WNOHANG)).toThrow("(ECHILD)");
  });

  test("sysctls must exist; exec stops the caller", () => {
    const sys = new FakeSys().defineSysctl("net.ipv4.ip_forward", "0");
    sys.writeSysctl("net.ipv4.ip_forward", "1");
    expect(sys.readSysctl("net/ipv4/ip_forward")).toBe("1");
    expect(() => sys.writeSysctl("net.ipv4.nope", "1")).toThrow("(ENOENT)");
    expect(() => sys.exec("/sbin/init", ["/sbin/init"], {})).toThrow(FakeExecError);
    expect(sys.callsOf("exec")).toEqual([["/sbin/init", ["/sbin/init"], {}]]);
  });
});
