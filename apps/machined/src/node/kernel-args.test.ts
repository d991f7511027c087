import { describe, expect, test } from "bun:test";
import { hostnameProblem, parseKernelArgs, splitCmdline } from "./kernel-args.ts";

describe("splitCmdline", () => {
  test("splits on spaces and honours double quotes", () => {
    expect(splitCmdline('a=1  b "c=x y" d="p q" e=""')).toEqual(["a=1", "b", "c=x y", "d=p q", "e="]);
  });
  test("keeps a trailing newline out", () => {
    expect(splitCmdline("quiet\n")).toEqual(["quiet"]);
  });
});

describe("parseKernelArgs", () => {
  test("flags, values, repeated keys and init arguments", () => {
    const args = parseKernelArgs("console=ttyS0 console=tty0 slab_nomerge pti=on -- --debug x");
    expect(args.values("console")).toEqual(["ttyS0", "tty0"]);
    expect(args.get("console")).toBe("tty0");
    expect(args.get("slab_nomerge")).toBeNull();
    expect(args.has("slab_nomerge")).toBe(true);
    expect(args.get("missing")).toBeUndefined();
    expect(args.initArgs).toEqual(["--debug", "x"]);
    expect(args.errors).toEqual([]);
  });

  test("Bronze arguments are typed", () => {
    const args = parseKernelArgs(
      `bronze.config="http://10.0.0.1:8080/\${mac}/node.yaml" bronze.platform=qemu bronze.hostname=node-1 bronze.shutdown=halt`,
    );
    expect(args.bronze).toEqual({
      config: `http://10.0.0.1:8080/\${mac}/node.yaml`,
      platform: "qemu",
      hostname: "node-1",
      shutdown: "halt",
    });
    expect(args.errors).toEqual([]);
  });

  test("bad values are errors naming the argument, and stay unset", () => {
    const args = parseKernelArgs(
      "bronze.platform=vmware bronze.shutdown bronze.hostname=-bad- bronze.config=ftp://x/y bronze.colour=red",
    );
    expect(args.bronze).toEqual({});
    const byKey = Object.fromEntries(args.errors.map((e) => [e.key, e.message]));
    expect(byKey["bronze.platform"]).toContain("metal, qemu, container");
    expect(byKey["bronze.platform"]).toContain('"vmware"');
    expect(byKey["bronze.shutdown"]).toContain("no value");
    expect(byKey["bronze.hostname"]).toContain('"-bad-"');
    expect(byKey["bronze.config"]).toContain("ftp:");
    expect(byKey["bronze.colour"]).toContain("not a Bronze argument");
  });

  test("a Bronze argument repeated with different values is an error; the same value twice is fine", () => {
    const conflicting = parseKernelArgs("bronze.platform=qemu bronze.platform=metal");
    expect(conflicting.bronze.platform).toBeUndefined();
    expect(conflicting.errors[0]?.message).toContain("2 times with different values");
    const repeated = parseKernelArgs("bronze.platform=qemu bronze.platform=qemu");
    expect(repeated.bronze.platform).toBe("qemu");
    expect(repeated.errors).toEqual([]);
  });

  test("a config URL without a scheme is refused", () => {
    expect(parseKernelArgs("bronze.config=10.0.0.1/x.yaml").errors[0]?.key).toBe("bronze.config");
    expect(parseKernelArgs("bronze.config=").errors[0]?.message).toContain("needs a URL");
  });

  test("bronze.assets= is the http(s) URL of the boot assets (the installer's source)", () => {
    const args = parseKernelArgs("bronze.assets=http://10.0.0.2:8080/assets");
    expect(args.errors).toEqual([]);
    expect(args.bronze.assets).toBe("http://10.0.0.2:8080/assets");
    const bad = parseKernelArgs("bronze.assets=tftp://10.0.0.2/assets");
    expect(bad.bronze.assets).toBeUndefined();
    expect(bad.errors[0]?.key).toBe("bronze.assets");
    expect(parseKernelArgs("bronze.assets").errors[0]?.message).toContain("needs the URL");
  });
});

describe("hostnameProblem", () => {
  test("RFC 1123 names", () => {
    expect(hostnameProblem("node-1.example.com")).toBeUndefined();
    expect(hostnameProblem("")).toBeDefined();
    expect(hostnameProblem("a..b")).toBeDefined();
    expect(hostnameProblem("x".repeat(64))).toBeDefined();
    expect(hostnameProblem(`${"a.".repeat(127)}ab`)).toContain("253");
  });
});
