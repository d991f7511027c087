import { describe, expect, test } from "bun:test";
import { parseKernelAbi } from "./kernel-abi.ts";

describe("parseKernelAbi", () => {
  test("cloud metapackage", () => {
    const out = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n";
    expect(parseKernelAbi("linux-image-cloud-amd64", out)).toEqual({
      package: "linux-image-6.1.0-56-cloud-amd64",
      abi: "6.1.0-56-cloud-amd64",
    });
  });

  test("generic metapackage ignores the -unsigned alternative and other flavours", () => {
    const out = [
      "linux-image-amd64",
      "  Depends: linux-image-6.1.0-57-amd64",
      " |Depends: linux-image-6.1.0-57-amd64-unsigned",
      "  Depends: linux-image-6.1.0-57-cloud-amd64",
      "  Recommends: firmware-linux-free",
    ].join("\n");
    expect(parseKernelAbi("linux-image-amd64", out)).toEqual({
      package: "linux-image-6.1.0-57-amd64",
      abi: "6.1.0-57-amd64",
    });
  });

  test("errors name the metapackage and show what was read", () => {
    expect(() =>
      parseKernelAbi("linux-image-cloud-amd64", "linux-image-cloud-amd64\n  Depends: libc6\n"),
    ).toThrow(
      /apt-cache depends linux-image-cloud-amd64: no "Depends: linux-image-<version>-cloud-amd64" line in:\n.*libc6/s,
    );
    expect(() => parseKernelAbi("containerd", "")).toThrow(/not linux-image-<flavour>/);
    const two = "  Depends: linux-image-6.1.0-1-amd64\n  Depends: linux-image-6.1.0-2-amd64\n";
    expect(() => parseKernelAbi("linux-image-amd64", two)).toThrow(/several kernels/);
  });
});
