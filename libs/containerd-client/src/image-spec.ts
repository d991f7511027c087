// OCI (and Docker schema 2) image documents: media types, parsing with clear errors, chain ids,
// platform matching and image-name normalisation. Pure functions.
import { ContainerdError } from "./errors.ts";
import type { Descriptor, Platform } from "./types.ts";

export const MediaType = {
  ociLayout: "application/vnd.oci.layout.header.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

/** Annotation containerd's exporter (and ours) puts the full image name in. */
export const ANNOTATION_IMAGE_NAME = "io.containerd.image.name";
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";

export interface PlatformDescriptor extends Descriptor {
  platform?: Platform;
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: PlatformDescriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** The runtime part of an image config ("config" in the OCI image spec). */
export interface ImageRuntimeConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ExposedPorts?: Record<string, object>;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean }[];
}

export function isIndexMediaType(mt: string): boolean {
  return mt === MediaType.ociIndex || mt === MediaType.dockerManifestList;
}
export function isManifestMediaType(mt: string): boolean {
  return mt === MediaType.ociManifest || mt === MediaType.dockerManifest;
}
export function isLayerMediaType(mt: string): boolean {
  return (
    mt.startsWith("application/vnd.oci.image.layer.") ||
    mt.startsWith("application/vnd.docker.image.rootfs.diff.tar")
  );
}

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function invalid(where: string, detail: string): ContainerdError {
  return new ContainerdError("InvalidArgument", "image", `${where}: ${detail}`);
}

function parseJson(bytes: Uint8Array | string, where: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes));
  } catch (e) {
    throw invalid(where, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalid(where, "not a JSON object");
  return v as Record<string, unknown>;
}

function parseDescriptor(v: unknown, where: string): PlatformDescriptor {
  if (typeof v !== "object" || v === null) throw invalid(where, "descriptor is not an object");
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== "string") throw invalid(where, "descriptor has no mediaType");
  if (typeof d.digest !== "string" || !DIGEST.test(d.digest))
    throw invalid(where, `descriptor digest ${JSON.stringify(d.digest)} is not a sha256 digest`);
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0)
    throw invalid(where, `descriptor size ${JSON.stringify(d.size)} is not a non-negative integer`);
  const out: PlatformDescriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations && typeof d.annotations === "object")
    out.annotations = d.annotations as Record<string, string>;
  if (d.platform && typeof d.platform === "object") {
    const p = d.platform as Record<string, unknown>;
    out.platform = { os: String(p.os ?? ""), architecture: String(p.architecture ?? "") };
    if (typeof p.variant === "string") out.platform.variant = p.variant;
  }
  return out;
}

export function parseIndex(bytes: Uint8Array | string, where: string): ImageIndex {
  const v = parseJson(bytes, where);
  if (!Array.isArray(v.manifests)) throw invalid(where, "index has no manifests array");
  const index: ImageIndex = {
    schemaVersion: Number(v.schemaVersion ?? 2),
    manifests: v.manifests.map((m, i) => parseDescriptor(m, `${where} manifests[${i}]`)),
  };
  if (typeof v.mediaType === "string") index.mediaType = v.mediaType;
  if (v.annotations && typeof v.annotations === "object")
    index.annotations = v.annotations as Record<string, string>;
  return index;
}

export function parseManifest(bytes: Uint8Array | string, where: string): ImageManifest {
  const v = parseJson(bytes, where);
  if (!v.config) throw invalid(where, "manifest has no config");
  if (!Array.isArray(v.layers)) throw invalid(where, "manifest has no layers array");
  const manifest: ImageManifest = {
    schemaVersion: Number(v.schemaVersion ?? 2),
    config: parseDescriptor(v.config, `${where} config`),
    layers: v.layers.map((l, i) => parseDescriptor(l, `${where} layers[${i}]`)),
  };
  for (const [i, l] of manifest.layers.entries())
    if (!isLayerMediaType(l.mediaType))
      throw invalid(where, `layers[${i}] has unsupported media type ${l.mediaType}`);
  if (typeof v.mediaType === "string") manifest.mediaType = v.mediaType;
  if (v.annotations && typeof v.annotations === "object")
    manifest.annotations = v.annotations as Record<string, string>;
  return manifest;
}

export function parseImageConfig(bytes: Uint8Array | string, where: string): ImageConfig {
  const v = parseJson(bytes, where);
  const rootfs = v.rootfs as Record<string, unknown> | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids)) throw invalid(where, "image config has no rootfs.diff_ids");
  for (const d of rootfs.diff_ids)
    if (typeof d !== "string" || !DIGEST.test(d))
      throw invalid(where, `rootfs.diff_ids entry ${JSON.stringify(d)} is not a sha256 digest`);
  if (typeof v.os !== "string" || typeof v.architecture !== "string")
    throw invalid(where, "image config lacks os or architecture");
  return v as unknown as ImageConfig;
}

/** Chain ids of a layer stack (what snapshots of unpacked images are named by). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out.at(-1);
    out.push(prev === undefined ? d : sha256Digest(`${prev} ${d}`));
  }
  return out;
}

/** The platform this process runs on, in OCI terms. */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = {
    x64: "amd64",
    arm64: "arm64",
    arm: "arm",
    ia32: "386",
    ppc64: "ppc64le",
    s390x: "s390x",
  };
  return {
    os: process.platform === "win32" ? "windows" : process.platform,
    architecture: arch[process.arch] ?? process.arch,
  };
}

export function platformMatches(candidate: Platform | undefined, wanted: Platform): boolean {
  if (!candidate) return true;
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  return !wanted.variant || !candidate.variant || candidate.variant === wanted.variant;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/**
 * Normalises an image reference the way containerd's tools do: `busybox` becomes
 * `docker.io/library/busybox:latest`, `foo/bar:1` becomes `docker.io/foo/bar:1`.
 */
export function normalizeImageName(ref: string): string {
  if (!/^[a-z0-9]/i.test(ref) || /\s/.test(ref))
    throw invalid("image name", `${JSON.stringify(ref)} is not an image reference`);
  const slash = ref.indexOf("/");
  const first = slash === -1 ? "" : ref.slice(0, slash);
  const hasDomain = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost");
  let name = hasDomain ? ref : `docker.io/${slash === -1 ? `library/${ref}` : ref}`;
  const lastPart = name.slice(name.lastIndexOf("/") + 1);
  if (!lastPart.includes(":") && !name.includes("@")) name = `${name}:latest`;
  return name;
}
