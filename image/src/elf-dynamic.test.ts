import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { readElfDynamic } from "./elf-dynamic.ts";
import { buildInitShim } from "./init-shim.ts";

describe("readElfDynamic", () => {
  test("reads the interpreter and DT_NEEDED of real Debian binaries (cross-checked with ldd's view)", async () => {
    const runc = readElfDynamic(readFileSync("/usr/bin/runc"), "/usr/bin/runc");
    expect(runc.interpreter).toBe("/lib64/ld-linux-x86-64.so.2");
    expect([...runc.needed].sort()).toEqual(["libc.so.6", "libseccomp.so.2"]);

    const bun = readElfDynamic(readFileSync(process.execPath), process.execPath);
    expect(bun.interpreter).toBe("/lib64/ld-linux-x86-64.so.2");
    // ldd lists the direct and indirect ones; every direct one must be among them
    const ldd = await new Response(Bun.spawn(["ldd", process.execPath]).stdout).text();
    for (const lib of bun.needed) expect(ldd).toContain(lib);
    expect(bun.needed).toContain("libc.so.6");
  });

  test("static executables have no interpreter and no needed libraries", () => {
    expect(readElfDynamic(readFileSync("/bin/busybox"), "busybox")).toEqual({
      interpreter: undefined,
      needed: [],
    });
    expect(readElfDynamic(buildInitShim({ path: "/x", argv: ["x"] }), "shim")).toEqual({
      interpreter: undefined,
      needed: [],
    });
  });

  test("rejects what is not ELF64 LE, naming the file", () => {
    expect(() => readElfDynamic(new TextEncoder().encode("#!/bin/sh\n".repeat(10)), "script.sh")).toThrow(
      "script.sh: not an ELF file",
    );
    const elf32 = buildInitShim({ path: "/x", argv: ["x"] });
    elf32[4] = 1;
    expect(() => readElfDynamic(elf32, "old")).toThrow("old: not a little-endian ELF64 file");
  });
});
