import { describe, expect, test } from "bun:test";
import {
  LINUX_REBOOT_CMD_HALT,
  LINUX_REBOOT_CMD_POWER_OFF,
  LINUX_REBOOT_CMD_RESTART,
  LO_FLAGS_AUTOCLEAR,
  LO_FLAGS_READ_ONLY,
  LOOP_CONFIG_SIZE,
} from "./constants.ts";
import {
  cString,
  decodeWaitStatus,
  encodeLoopConfig,
  encodeLoopInfo64,
  loopFlags,
  rebootCommandValue,
  sysctlPath,
  UTS_NAME_MAX,
  utsName,
} from "./marshal.ts";
import { SysError } from "./sys-error.ts";

describe("cString", () => {
  test("appends exactly one NUL", () => {
    const b = cString("/dev/loop0", "x");
    expect(b.length).toBe(11);
    expect(b[10]).toBe(0);
    expect(b.subarray(0, 10).toString()).toBe("/dev/loop0");
  });
  test("rejects embedded NUL with EINVAL naming the call", () => {
    try {
      cString("a\0b", 'mount("a")');
      throw new Error("no throw");
    } catch (e) {
      expect(e).toBeInstanceOf(SysError);
      expect((e as SysError).code).toBe("EINVAL");
      expect((e as SysError).message).toContain('mount("a")');
    }
  });
});

describe("rebootCommandValue", () => {
  test("maps to the kernel's magic words as signed ints", () => {
    expect(rebootCommandValue("restart") >>> 0).toBe(LINUX_REBOOT_CMD_RESTART);
    expect(rebootCommandValue("poweroff") >>> 0).toBe(LINUX_REBOOT_CMD_POWER_OFF);
    expect(rebootCommandValue("halt") >>> 0).toBe(LINUX_REBOOT_CMD_HALT);
    expect(rebootCommandValue("halt")).toBeLessThan(0); // 0xCDEF0123 does not fit a positive int32
  });
  test("rejects unknown commands", () => {
    expect(() => rebootCommandValue("explode" as never)).toThrow(SysError);
  });
});

describe("loop structures", () => {
  test("default flags are read-only + autoclear", () => {
    expect(loopFlags()).toBe(LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR);
    expect(loopFlags({ readOnly: false })).toBe(LO_FLAGS_AUTOCLEAR);
    expect(loopFlags({ autoclear: false })).toBe(LO_FLAGS_READ_ONLY);
  });
  test("loop_info64 layout: lo_flags at 52, lo_file_name at 56, 232 bytes", () => {
    const info = encodeLoopInfo64(5, "/a/b.sqsh");
    expect(info.length).toBe(232);
    const view = new DataView(info.buffer);
    expect(view.getUint32(52, true)).toBe(5);
    expect(Buffer.from(info.subarray(56, 56 + 9)).toString()).toBe("/a/b.sqsh");
    expect(info[56 + 9]).toBe(0);
  });
  test("file name truncated to 63 bytes, keeping the terminator", () => {
    const info = encodeLoopInfo64(0, "x".repeat(200));
    expect(info[56 + 62]).toBe("x".charCodeAt(0));
    expect(info[56 + 63]).toBe(0);
    expect(info[120]).toBe(0); // lo_crypt_name untouched
  });
  test("loop_config: fd at 0, info at 8, 304 bytes", () => {
    const cfg = encodeLoopConfig(42, LO_FLAGS_READ_ONLY, "f");
    expect(cfg.length).toBe(LOOP_CONFIG_SIZE);
    expect(LOOP_CONFIG_SIZE).toBe(304);
    const view = new DataView(cfg.buffer);
    expect(view.getUint32(0, true)).toBe(42);
    expect(view.getUint32(4, true)).toBe(0);
    expect(view.getUint32(8 + 52, true)).toBe(LO_FLAGS_READ_ONLY);
    expect(cfg[8 + 56]).toBe("f".charCodeAt(0));
  });
});

describe("decodeWaitStatus", () => {
  test("normal exit", () => {
    expect(decodeWaitStatus(10, 7 << 8)).toEqual({ pid: 10, status: 7 << 8, exitCode: 7, signal: null });
  });
  test("killed by a signal", () => {
    expect(decodeWaitStatus(10, 9)).toMatchObject({ exitCode: null, signal: 9 });
    expect(decodeWaitStatus(10, 0x80 | 11)).toMatchObject({ exitCode: null, signal: 11 }); // core dumped
  });
  test("no child (WNOHANG)", () => {
    expect(decodeWaitStatus(0, 1234)).toEqual({ pid: 0, status: 0, exitCode: null, signal: null });
  });
  test("stopped child is neither exit nor signal", () => {
    expect(decodeWaitStatus(3, (19 << 8) | 0x7f)).toMatchObject({ exitCode: null, signal: null });
  });
});

describe("sysctlPath", () => {
  test("dots become slashes", () => {
    expect(sysctlPath("/proc", "net.ipv4.ip_forward")).toBe("/proc/sys/net/ipv4/ip_forward");
  });
  test("slash form keeps dots inside components (VLAN interfaces)", () => {
    expect(sysctlPath("/p", "net/ipv4/conf/eth0.100/rp_filter")).toBe(
      "/p/sys/net/ipv4/conf/eth0.100/rp_filter",
    );
  });
  test.each(["", "..", "net..ipv4", "net/../../etc/passwd", "/abs", "a.b.", "x\0y"])("rejects %j", (name) => {
    expect(() => sysctlPath("/proc", name)).toThrow(SysError);
  });
});

describe("utsName", () => {
  test("length excludes the terminator; UTF-8 bytes count", () => {
    expect(utsName("node-1", "c")).toMatchObject({ length: 6 });
    expect(utsName("é", "c").length).toBe(2);
    expect(utsName("x".repeat(UTS_NAME_MAX), "c").length).toBe(64);
  });
  test("over 64 bytes is EINVAL with the length in the message", () => {
    try {
      utsName("x".repeat(65), 'sethostname("xx…")');
      throw new Error("no throw");
    } catch (e) {
      expect((e as SysError).code).toBe("EINVAL");
      expect((e as SysError).message).toContain("65 bytes long");
    }
  });
});
