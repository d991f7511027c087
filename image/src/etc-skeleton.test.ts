import { describe, expect, test } from "bun:test";
import { APID_UID, etcSkeleton, TRUSTD_UID } from "./etc-skeleton.ts";

describe("etcSkeleton", () => {
  const files = etcSkeleton({ version: "1.2.3" });

  test("passwd and group carry root, apid and trustd with matching ids, 7 and 4 fields", () => {
    const passwd = (files.get("etc/passwd") ?? "")
      .trim()
      .split("\n")
      .map((l) => l.split(":"));
    const group = (files.get("etc/group") ?? "")
      .trim()
      .split("\n")
      .map((l) => l.split(":"));
    for (const line of passwd) expect(line).toHaveLength(7);
    for (const line of group) expect(line).toHaveLength(4);
    const uid = (name: string) => passwd.find((l) => l[0] === name)?.[2];
    const gid = (name: string) => group.find((l) => l[0] === name)?.[2];
    expect(uid("root")).toBe("0");
    expect(uid("apid")).toBe(String(APID_UID));
    expect(uid("trustd")).toBe(String(TRUSTD_UID));
    expect(gid("apid")).toBe(String(APID_UID));
    expect(gid("trustd")).toBe(String(TRUSTD_UID));
    expect(new Set(passwd.map((l) => l[2])).size).toBe(passwd.length);
  });

  test("os-release names Bronze and the version; hosts and nsswitch resolve localhost from files", () => {
    const osRelease = files.get("etc/os-release") ?? "";
    expect(osRelease).toContain('NAME="Bronze"\n');
    expect(osRelease).toContain("ID=bronze\n");
    expect(osRelease).toContain("VERSION_ID=1.2.3\n");
    expect(files.get("etc/hosts")).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    expect(files.get("etc/nsswitch.conf")).toMatch(/^hosts: files dns$/m);
  });
});
