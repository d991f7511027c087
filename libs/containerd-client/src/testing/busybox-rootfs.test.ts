import { afterAll, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBusyboxRootfs } from "./busybox-rootfs.ts";

const dir = mkdtempSync(join(tmpdir(), "busybox-rootfs-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a static busybox with its applets linked, passwd and extra files", () => {
  const root = makeBusyboxRootfs(join(dir, "r"), { files: { "etc/motd": "hi" } });
  expect(lstatSync(join(root, "bin/busybox")).mode & 0o111).not.toBe(0);
  expect(readlinkSync(join(root, "bin/sh"))).toBe("busybox");
  expect(readFileSync(join(root, "etc/passwd"), "utf8")).toContain("root:x:0:0");
  expect(readFileSync(join(root, "etc/motd"), "utf8")).toBe("hi");
  // it is static: it runs chrooted-free from its own path
  const out = Bun.spawnSync([join(root, "bin/busybox"), "echo", "works"]).stdout.toString();
  expect(out).toBe("works\n");
  expect(() => makeBusyboxRootfs(join(dir, "x"), { busybox: "/nonexistent/busybox" })).toThrow(
    "/nonexistent/busybox does not exist: install Debian's busybox-static",
  );
});
