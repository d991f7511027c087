import { ImageError } from "./image-error.ts";

/** The kernel a metapackage (e.g. `linux-image-cloud-amd64`) currently points to. */
export interface KernelAbi {
  /** The versioned image package, e.g. `linux-image-6.1.0-56-cloud-amd64`. */
  readonly package: string;
  /** The ABI, i.e. `uname -r` and the `/lib/modules/<abi>` directory: `6.1.0-56-cloud-amd64`. */
  readonly abi: string;
}

/**
 * Reads the output of `apt-cache depends <metapackage>` and returns the kernel image package it
 * depends on. The flavour (`cloud-amd64`, `amd64`) is taken from the metapackage's name, so
 * `linux-image-cloud-amd64` never resolves to a generic kernel. Signed/unsigned variants
 * (`...-amd64-unsigned`) are ignored in favour of the plain package when both are listed.
 */
export function parseKernelAbi(metapackage: string, aptCacheDepends: string): KernelAbi {
  const flavour = /^linux-image-(.+)$/.exec(metapackage)?.[1];
  if (!flavour) {
    throw new ImageError(
      "BadInput",
      `kernel metapackage ${JSON.stringify(metapackage)} is not linux-image-<flavour>`,
    );
  }
  const escaped = flavour.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`^linux-image-(\\d+\\.\\d+\\.\\d+-\\d+-${escaped})$`);
  const found = new Set<string>();
  for (const line of aptCacheDepends.split("\n")) {
    const m = /^\s*\|?(?:Pre)?Depends:\s+(\S+)\s*$/.exec(line);
    if (m?.[1] && pattern.test(m[1])) found.add(m[1]);
  }
  if (found.size === 0) {
    throw new ImageError(
      "ParseError",
      `apt-cache depends ${metapackage}: no "Depends: linux-image-<version>-${flavour}" line in:\n${aptCacheDepends.trim()}`,
    );
  }
  if (found.size > 1) {
    throw new ImageError(
      "ParseError",
      `apt-cache depends ${metapackage}: several kernels: ${[...found].join(", ")}`,
    );
  }
  const pkg = [...found][0] as string;
  return { package: pkg, abi: pkg.slice("linux-image-".length) };
}
