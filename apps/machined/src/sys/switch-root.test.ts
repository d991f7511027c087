import { describe, expect, test } from "bun:test";
import { FakeSys } from "../testing/fake-sys.ts";
import { MS_MOVE } from "./constants.ts";
import { switchRoot } from "./switch-root.ts";

function mountedApiFs(sys: FakeSys) {
  sys.mount("proc", "/proc", "proc");
  sys.mount("sysfs", "/sys", "sysfs");
  sys.mount("devtmpfs", "/dev", "devtmpfs");
  sys.mount("tmpfs", "/run", "tmpfs");
  sys.mount("/dev/loop0", "/root", "squashfs", 1);
  sys.calls.length = 0;
}

describe("switchRoot", () => {
  test("moves the API mounts, moves the new root over /, chroots and chdirs in that order", () => {
    const sys = new FakeSys();
    mountedApiFs(sys);
    switchRoot(sys, "/root/");
    expect(sys.calls.map((c) => [c.name, ...c.args])).toEqual([
      ["mount", "/dev", "/root/dev", null, MS_MOVE, null],
      ["mount", "/proc", "/root/proc", null, MS_MOVE, null],
      ["mount", "/sys", "/root/sys", null, MS_MOVE, null],
      ["mount", "/run", "/root/run", null, MS_MOVE, null],
      ["chdir", "/root"],
      ["mount", "/root", "/", null, MS_MOVE, null],
      ["chroot", "."],
      ["chdir", "/"],
    ]);
    expect([...sys.mounts.keys()].sort()).toEqual(["/", "/root/dev", "/root/proc", "/root/run", "/root/sys"]);
    expect(sys.mounts.get("/")?.fstype).toBe("squashfs");
    expect(sys.cwd).toBe("/");
    expect(sys.root).toBe(".");
  });

  test("a custom move list; the new root must be a mount point", () => {
    const sys = new FakeSys();
    mountedApiFs(sys);
    switchRoot(sys, "/root", { moveMounts: ["/proc"] });
    expect(sys.callsOf("mount")[0]).toEqual(["/proc", "/root/proc", null, MS_MOVE, null]);
    expect(sys.callsOf("mount")).toHaveLength(2);
    expect(() => switchRoot(new FakeSys(), "/not-mounted", { moveMounts: [] })).toThrow("(EINVAL)");
  });

  test("stops at the first failing move and chroots nowhere", () => {
    const sys = new FakeSys();
    mountedApiFs(sys);
    sys.failNext("mount", "ENOENT", (args) => args[1] === "/root/sys");
    expect(() => switchRoot(sys, "/root")).toThrow('mount("/sys", "/root/sys", NULL, 8192, NULL) failed');
    expect(sys.callsOf("chroot")).toHaveLength(0);
  });

  test("refuses relative or root paths", () => {
    expect(() => switchRoot(new FakeSys(), "root")).toThrow(TypeError);
    expect(() => switchRoot(new FakeSys(), "/")).toThrow(TypeError);
  });
});
