import { createHash } from "node:crypto";

export interface ManifestFile {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

/** `_out/manifest.json`: what was built from what, and every artifact's size and sha256. */
export interface Manifest {
  readonly profile: string;
  /** The initramfs layout: `stage1` or `compact`. */
  readonly initramfs: string;
  readonly version: string;
  readonly sourceDateEpoch: number;
  readonly kernel: { readonly package: string; readonly abi: string };
  readonly cmdline: string;
  /** The Debian package files the artifacts were made from, sorted. */
  readonly packages: readonly string[];
  /** Sorted by name. */
  readonly files: readonly ManifestFile[];
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function manifestFile(name: string, data: Uint8Array): ManifestFile {
  return { name, size: data.length, sha256: sha256Hex(data) };
}

/** manifestFile for a file too big to read at once (disk.raw): hashed as a stream. */
export async function manifestFileAt(name: string, path: string): Promise<ManifestFile> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of Bun.file(path).stream()) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { name, size, sha256: hash.digest("hex") };
}

/** The manifest as stable JSON (sorted files and packages, 2-space indent, trailing newline). */
export function formatManifest(manifest: Manifest): string {
  const sorted: Manifest = {
    ...manifest,
    packages: [...manifest.packages].sort(),
    files: [...manifest.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
  return `${JSON.stringify(sorted, null, 2)}\n`;
}
