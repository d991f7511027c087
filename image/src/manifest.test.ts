import { describe, expect, test } from "bun:test";
import { formatManifest, type Manifest, manifestFile, sha256Hex } from "./manifest.ts";

describe("manifest", () => {
  test("sha256 of known inputs", () => {
    expect(sha256Hex(new Uint8Array())).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(manifestFile("cmdline", new TextEncoder().encode("abc"))).toEqual({
      name: "cmdline",
      size: 3,
      sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    });
  });

  test("formatting sorts files and packages and is stable", () => {
    const manifest: Manifest = {
      profile: "qemu",
      initramfs: "stage1",
      version: "dev",
      sourceDateEpoch: 1,
      kernel: { package: "linux-image-6.1.0-56-cloud-amd64", abi: "6.1.0-56-cloud-amd64" },
      cmdline: "console=ttyS0",
      packages: ["runc_1.deb", "containerd_1.deb"],
      files: [manifestFile("vmlinuz", new Uint8Array([1])), manifestFile("cmdline", new Uint8Array([2]))],
    };
    const text = formatManifest(manifest);
    const parsed = JSON.parse(text) as Manifest;
    expect(parsed.files.map((f) => f.name)).toEqual(["cmdline", "vmlinuz"]);
    expect(parsed.packages).toEqual(["containerd_1.deb", "runc_1.deb"]);
    expect(text.endsWith("}\n")).toBe(true);
    expect(formatManifest({ ...manifest, files: [...manifest.files].reverse() })).toBe(text);
  });
});
