import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  APID_USER,
  NODE_BINARY_LIBRARIES,
  prepareServiceRootfs,
  serviceScratchDir,
} from "./service-rootfs.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-svc-rootfs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("passwd and group name the service's user; glibc is there; mount points exist", () => {
  const root = prepareServiceRootfs(join(dir, "apid"), {
    user: APID_USER,
    mountPoints: ["/system/secrets/apid"],
    fileMountPoints: ["/usr/bin/apid"],
  });
  expect(readFileSync(join(root, "etc/passwd"), "utf8")).toContain("apid:x:50:50:");
  expect(readFileSync(join(root, "etc/group"), "utf8")).toContain("apid:x:50:");
  expect(statSync(join(root, "tmp")).mode & 0o7777).toBe(0o1777);
  expect(statSync(join(root, "system/secrets/apid")).isDirectory()).toBe(true);
  expect(statSync(join(root, "usr/bin/apid")).isFile()).toBe(true);
  for (const library of NODE_BINARY_LIBRARIES) {
    if (existsSync(library)) expect(statSync(join(root, library)).size).toBe(statSync(library).size);
  }
  expect(existsSync(join(root, "lib/x86_64-linux-gnu/libc.so.6"))).toBe(true);
  // Preparing again (each start) is harmless.
  prepareServiceRootfs(root, { user: APID_USER, fileMountPoints: ["/usr/bin/apid"] });
  expect(readFileSync(join(root, "etc/passwd"), "utf8")).toContain("apid:x:50:50:");
});

test("the scratch directory belongs to the service's user", () => {
  const tmp = serviceScratchDir(join(dir, "run/apid/tmp"), APID_USER);
  expect(statSync(tmp).uid).toBe(50);
  expect(statSync(tmp).mode & 0o777).toBe(0o700);
});
