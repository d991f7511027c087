import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseMountinfo } from "./mountinfo.ts";

test("parses fields around optional tags and unescapes octal", () => {
  const text = [
    "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue",
    "40 36 0:21 / /mnt/with\\040space rw - tmpfs tmpfs rw,size=1024k",
    "not a mount line",
    "",
  ].join("\n");
  const mounts = parseMountinfo(text);
  expect(mounts).toHaveLength(2);
  expect(mounts[0]).toEqual({
    mountId: 36,
    parentId: 35,
    root: "/mnt1",
    mountPoint: "/mnt/parent",
    options: "rw,noatime",
    fsType: "ext3",
    source: "/dev/root",
    superOptions: "rw,errors=continue",
  });
  expect(mounts[1]?.mountPoint).toBe("/mnt/with space");
  expect(mounts[1]?.fsType).toBe("tmpfs");
});

test("the real mountinfo has the root mount and /proc", () => {
  const mounts = parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"));
  expect(mounts.some((m) => m.mountPoint === "/")).toBe(true);
  expect(mounts.some((m) => m.mountPoint === "/proc" && m.fsType === "proc")).toBe(true);
});
