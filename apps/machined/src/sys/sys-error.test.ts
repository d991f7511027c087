import { describe, expect, test } from "bun:test";
import { MOUNT_FLAG_NAMES, MS_BIND, MS_RDONLY, MS_REC } from "./constants.ts";
import { describeFlags, errnoName, errnoValue, formatCall, SysError } from "./sys-error.ts";

describe("errno names", () => {
  test("maps common values both ways", () => {
    expect(errnoName(1)).toBe("EPERM");
    expect(errnoName(2)).toBe("ENOENT");
    expect(errnoName(16)).toBe("EBUSY");
    expect(errnoName(30)).toBe("EROFS");
    expect(errnoName(117)).toBe("EUCLEAN");
    expect(errnoValue("EBUSY")).toBe(16);
    expect(errnoValue("ENOMEDIUM")).toBe(123);
    expect(errnoValue("ENOTANERRNO")).toBeUndefined();
  });
  test("unknown values stay identifiable", () => {
    expect(errnoName(9999)).toBe("ERRNO_9999");
  });
});

describe("SysError", () => {
  test("carries code, errno, call and the description", () => {
    const e = new SysError(
      'mount("/dev/loop0", "/root", "squashfs", MS_RDONLY)',
      2,
      "No such file or directory",
    );
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe("ENOENT");
    expect(e.errno).toBe(2);
    expect(e.call).toBe('mount("/dev/loop0", "/root", "squashfs", MS_RDONLY)');
    expect(e.message).toBe(
      'mount("/dev/loop0", "/root", "squashfs", MS_RDONLY) failed: No such file or directory (ENOENT)',
    );
  });
});

describe("formatting", () => {
  test("flags by name with leftover bits in hex", () => {
    expect(describeFlags(0, MOUNT_FLAG_NAMES)).toBe("0");
    expect(describeFlags(MS_BIND | MS_REC | MS_RDONLY, MOUNT_FLAG_NAMES)).toBe("MS_RDONLY|MS_BIND|MS_REC");
    expect(describeFlags(MS_RDONLY | 0x40000000, MOUNT_FLAG_NAMES)).toBe("MS_RDONLY|0x40000000");
  });
  test("calls quote strings and render NULL", () => {
    expect(formatCall("mount", ["/a", "/b", null, { raw: "MS_BIND" }, 3])).toBe(
      'mount("/a", "/b", NULL, MS_BIND, 3)',
    );
  });
});
