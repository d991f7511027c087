// Builds an OCI image layout tarball (oci-layout, index.json, blobs/sha256/...) from a directory:
// one layer holding the directory's tree, a config and a manifest. Deterministic: entries sorted,
// mtimes fixed, owner root, so the same directory always gives the same digests. Nothing needs a
// registry: etcd's image is built this way from Debian's etcd-server, test images from busybox-static.
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type TarWriteEntry, writeTar } from "@bronze/files";
import { ContainerdError } from "./errors.ts";
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  hostPlatform,
  type ImageConfig,
  type ImageManifest,
  MediaType,
  normalizeImageName,
  sha256Digest,
} from "./image-spec.ts";
import type { Descriptor, Platform } from "./types.ts";

export interface OciImageTarballOptions {
  /** Directory whose tree becomes the image's only layer (owner root, mtimes fixed). */
  rootfs: string;
  /** Image name, normalised like containerd does (`etcd:3.4` -> `docker.io/library/etcd:3.4`). */
  name: string;
  /** Runtime defaults recorded in the image config. */
  config?: {
    entrypoint?: string[];
    cmd?: string[];
    env?: string[];
    workingDir?: string;
    user?: string;
    labels?: Record<string, string>;
    stopSignal?: string;
  };
  /** Default: the host's (linux/amd64 here). */
  platform?: Platform;
  /** Layer compression (default gzip). */
  compression?: "gzip" | "none";
  /** Modification time of every file and the config's `created`, in seconds (default 0). */
  mtime?: number;
}

export interface OciImageTarball {
  /** The archive, ready to write to a file or import. */
  data: Uint8Array;
  /** The normalised image name. */
  name: string;
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor;
  /** Digest of the uncompressed layer (the config's rootfs.diff_ids[0]). */
  diffId: string;
}

/** Tar entries of a directory tree, depth first in byte order of names. */
export function directoryEntries(root: string, mtime = 0): TarWriteEntry[] {
  const out: TarWriteEntry[] = [];
  const walk = (dir: string, rel: string) => {
    const names = readdirSync(dir).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : a === b ? 0 : 1));
    for (const name of names) {
      const full = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(full);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.push({ path, type: "directory", mode, mtime });
        walk(full, path);
      } else if (st.isSymbolicLink()) {
        out.push({ path, type: "symlink", linkName: readlinkSync(full), mtime });
      } else if (st.isFile()) {
        out.push({ path, type: "file", mode, mtime, data: readFileSync(full) });
      } else {
        throw new ContainerdError(
          "InvalidArgument",
          "buildOciImageTarball",
          `${full} is not a file, directory or symlink`,
        );
      }
    }
  };
  try {
    if (!lstatSync(root).isDirectory()) throw new Error("not a directory");
  } catch (e) {
    throw new ContainerdError(
      "InvalidArgument",
      "buildOciImageTarball",
      `rootfs ${root} is not a directory (${(e as Error).message})`,
    );
  }
  walk(root, "");
  return out;
}

function jsonBlob(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function buildOciImageTarball(options: OciImageTarballOptions): OciImageTarball {
  const name = normalizeImageName(options.name);
  const mtime = options.mtime ?? 0;
  const platform = options.platform ?? hostPlatform();
  const layerTar = Buffer.concat(writeTar(directoryEntries(options.rootfs, mtime)));
  const diffId = sha256Digest(layerTar);
  const gzip = (options.compression ?? "gzip") === "gzip";
  const layerBlob = gzip ? gzipSync(layerTar, { level: 6 }) : layerTar;
  const layer: Descriptor = {
    mediaType: gzip ? MediaType.ociLayerGzip : MediaType.ociLayer,
    digest: sha256Digest(layerBlob),
    size: layerBlob.length,
  };
  const c = options.config ?? {};
  const runtime: Record<string, unknown> = {};
  if (c.user) runtime.User = c.user;
  if (c.env) runtime.Env = c.env;
  if (c.entrypoint) runtime.Entrypoint = c.entrypoint;
  if (c.cmd) runtime.Cmd = c.cmd;
  if (c.workingDir) runtime.WorkingDir = c.workingDir;
  if (c.labels) runtime.Labels = c.labels;
  if (c.stopSignal) runtime.StopSignal = c.stopSignal;
  const imageConfig: ImageConfig = {
    created: new Date(mtime * 1000).toISOString(),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: runtime,
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created: new Date(mtime * 1000).toISOString(), created_by: "bronze buildOciImageTarball" }],
  };
  const configBlob = jsonBlob(imageConfig);
  const config: Descriptor = {
    mediaType: MediaType.ociConfig,
    digest: sha256Digest(configBlob),
    size: configBlob.length,
  };
  const manifestDoc: ImageManifest & { mediaType: string } = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: [layer],
  };
  const manifestBlob = jsonBlob(manifestDoc);
  const manifest: Descriptor = {
    mediaType: MediaType.ociManifest,
    digest: sha256Digest(manifestBlob),
    size: manifestBlob.length,
  };
  const tag = name.includes("@") ? "" : name.slice(name.lastIndexOf(":") + 1);
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      {
        ...manifest,
        platform,
        annotations: { [ANNOTATION_IMAGE_NAME]: name, ...(tag ? { [ANNOTATION_REF_NAME]: tag } : {}) },
      },
    ],
  };
  const blobEntry = (digest: string, data: Uint8Array): TarWriteEntry => ({
    path: `blobs/sha256/${digest.slice("sha256:".length)}`,
    type: "file",
    mtime,
    data,
  });
  const blobs = [
    blobEntry(manifest.digest, manifestBlob),
    blobEntry(config.digest, configBlob),
    blobEntry(layer.digest, layerBlob),
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  const data = Buffer.concat(
    writeTar([
      { path: "oci-layout", type: "file", mtime, data: jsonBlob({ imageLayoutVersion: "1.0.0" }) },
      { path: "index.json", type: "file", mtime, data: jsonBlob(index) },
      { path: "blobs", type: "directory", mtime },
      { path: "blobs/sha256", type: "directory", mtime },
      ...blobs,
    ]),
  );
  return { data, name, manifest, config, layer, diffId };
}

/** Builds the tarball and writes it to `path`. */
export function writeOciImageTarball(
  path: string,
  options: OciImageTarballOptions,
): Omit<OciImageTarball, "data"> {
  const { data, ...rest } = buildOciImageTarball(options);
  writeFileSync(path, data);
  return rest;
}
