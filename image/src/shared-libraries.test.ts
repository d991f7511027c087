import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { resolveSharedLibraries } from "./shared-libraries.ts";

// The host's own glibc and libseccomp stand in for the unpacked Debian packages.
const hostLookup = {
  find(soname: string) {
    for (const dir of ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"]) {
      const path = `${dir}/${soname}`;
      if (existsSync(path)) return realpathSync(path);
    }
    return undefined;
  },
  read: (path: string) => readFileSync(path),
};

describe("resolveSharedLibraries", () => {
  test("runc needs libseccomp and glibc, transitively", () => {
    const { libraries, interpreters } = resolveSharedLibraries(
      [{ name: "runc", bytes: readFileSync("/usr/bin/runc") }],
      hostLookup,
    );
    expect([...libraries.keys()]).toEqual(["ld-linux-x86-64.so.2", "libc.so.6", "libseccomp.so.2"]);
    expect(interpreters).toEqual(["/lib64/ld-linux-x86-64.so.2"]);
    expect(libraries.get("libseccomp.so.2")).toMatch(/libseccomp\.so\.2\.\d+\.\d+$/);
  });

  test("a missing library names who needs it", () => {
    const lookup = {
      ...hostLookup,
      find: (s: string) => (s === "libseccomp.so.2" ? undefined : hostLookup.find(s)),
    };
    expect(() =>
      resolveSharedLibraries([{ name: "/usr/bin/runc", bytes: readFileSync("/usr/bin/runc") }], lookup),
    ).toThrow("shared library libseccomp.so.2 (needed by /usr/bin/runc) not found");
  });
});
