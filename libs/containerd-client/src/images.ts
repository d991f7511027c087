// containerd's Images service (image records: name -> target descriptor), plus what the lib does
// around it: import from an archive, resolve an image's manifest and config, unpack.

import type { CallOptions, Connection } from "./connection.ts";
import type { ContentApi } from "./content.ts";
import { descriptorFromPb, descriptorToPb, toDate } from "./convert.ts";
import type { DiffApi } from "./diff.ts";
import { ContainerdError, isContainerdError } from "./errors.ts";
import { Images } from "./gen/github.com/containerd/containerd/api/services/images/v1/images_pb.ts";
import { type ImageSource, type ImportImageOptions, importImageArchive } from "./image-import.ts";
import {
  chainIds,
  formatPlatform,
  hostPlatform,
  type ImageConfig,
  type ImageManifest,
  isIndexMediaType,
  isManifestMediaType,
  parseImageConfig,
  parseIndex,
  parseManifest,
  platformMatches,
} from "./image-spec.ts";
import { unpackLayers } from "./image-unpack.ts";
import type { LeasesApi } from "./leases.ts";
import type { SnapshotsApi } from "./snapshots.ts";
import type { Descriptor, ImageInfo, Labels, Platform } from "./types.ts";

/** An image resolved for one platform: what a container is made from. */
export interface ResolvedImage {
  name: string;
  /** The platform manifest's descriptor. */
  manifest: Descriptor;
  /** The config blob's descriptor, and its content. */
  configDescriptor: Descriptor;
  config: ImageConfig;
  layers: Descriptor[];
  /** Chain id of the top layer: the snapshot a container's rootfs is prepared from. */
  chainId: string;
}

export interface ImagesDeps {
  content: ContentApi;
  leases: LeasesApi;
  diff: DiffApi;
  snapshots: SnapshotsApi;
}

export class ImagesApi {
  /** Resolved images by target digest and platform: manifests and configs never change. */
  private readonly resolved = new Map<string, ResolvedImage>();

  constructor(
    private readonly conn: Connection,
    private readonly deps: ImagesDeps,
  ) {}

  async list(filters: string[] = [], options?: CallOptions): Promise<ImageInfo[]> {
    const res = await this.conn.read("images.list", () =>
      this.conn.client(Images).list({ filters }, this.conn.options(options)),
    );
    return res.images.map(imageFromPb).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string, options?: CallOptions): Promise<ImageInfo> {
    const res = await this.conn.read(`images.get ${JSON.stringify(name)}`, () =>
      this.conn.client(Images).get({ name }, this.conn.options(options)),
    );
    return imageFromPb(res.image ?? { name, labels: {} });
  }

  /** Creates the image record, or points an existing one at the new target. */
  async put(
    image: { name: string; target: Descriptor; labels?: Labels },
    options?: CallOptions,
  ): Promise<ImageInfo> {
    const record = { name: image.name, target: descriptorToPb(image.target), labels: image.labels ?? {} };
    try {
      const res = await this.conn.call(`images.create ${JSON.stringify(image.name)}`, () =>
        this.conn.client(Images).create({ image: record }, this.conn.options(options)),
      );
      return imageFromPb(res.image ?? record);
    } catch (e) {
      if (!isContainerdError(e, "AlreadyExists")) throw e;
      const paths = ["target", ...Object.keys(image.labels ?? {}).map((k) => `labels.${k}`)];
      const res = await this.conn.call(`images.update ${JSON.stringify(image.name)}`, () =>
        this.conn.client(Images).update({ image: record, updateMask: { paths } }, this.conn.options(options)),
      );
      return imageFromPb(res.image ?? record);
    }
  }

  /** Removes an image record; with `sync`, waits until garbage collection freed what only it used. */
  async remove(name: string, options: CallOptions & { sync?: boolean } = {}): Promise<void> {
    await this.conn.call(`images.remove ${JSON.stringify(name)}`, () =>
      this.conn.client(Images).delete({ name, sync: options.sync ?? false }, this.conn.options(options)),
    );
  }

  /**
   * Imports an OCI layout or Docker archive tarball (a path, bytes or a stream; gzip-compressed or
   * not): writes its blobs under a lease, records the images and unpacks them into the snapshotter.
   */
  async import(source: ImageSource, options: ImportImageOptions = {}): Promise<ImageInfo[]> {
    return importImageArchive(
      { ...this.deps, images: this, defaultSnapshotter: this.deps.snapshots.defaultSnapshotter },
      source,
      options,
    );
  }

  /** Reads an image's manifest and config for `platform` (default: this host's). */
  async resolve(name: string, options: CallOptions & { platform?: Platform } = {}): Promise<ResolvedImage> {
    const image = await this.get(name, options);
    const platform = options.platform ?? hostPlatform();
    const cacheKey = `${image.target.digest} ${formatPlatform(platform)}`;
    const cached = this.resolved.get(cacheKey);
    if (cached) return { ...cached, name };
    const op = `images.resolve ${JSON.stringify(name)}`;
    const readJson = async (d: Descriptor) =>
      this.deps.content.readAll(d.digest, { ...options, maxBytes: 4 * 1024 * 1024 });
    let target = image.target;
    for (let depth = 0; isIndexMediaType(target.mediaType); depth++) {
      if (depth > 4) throw new ContainerdError("InvalidArgument", op, "image indexes nest too deep");
      const index = parseIndex(await readJson(target), `${name} index ${target.digest}`);
      const match = index.manifests.find((m) => platformMatches(m.platform, platform));
      if (!match)
        throw new ContainerdError(
          "NotFound",
          op,
          `the image has no manifest for ${formatPlatform(platform)}`,
        );
      target = match;
    }
    if (!isManifestMediaType(target.mediaType))
      throw new ContainerdError(
        "InvalidArgument",
        op,
        `unsupported image target media type ${target.mediaType}`,
      );
    const manifest: ImageManifest = parseManifest(
      await readJson(target),
      `${name} manifest ${target.digest}`,
    );
    const config = parseImageConfig(
      await readJson(manifest.config),
      `${name} config ${manifest.config.digest}`,
    );
    if (!platformMatches({ os: config.os, architecture: config.architecture }, platform))
      throw new ContainerdError(
        "FailedPrecondition",
        op,
        `the image is for ${config.os}/${config.architecture}, not ${formatPlatform(platform)}`,
      );
    const chain = chainIds(config.rootfs.diff_ids);
    const top = chain.at(-1);
    if (!top) throw new ContainerdError("InvalidArgument", op, "the image has no layers");
    const resolved = {
      name,
      manifest: target,
      configDescriptor: manifest.config,
      config,
      layers: manifest.layers,
      chainId: top,
    };
    if (this.resolved.size > 256) this.resolved.clear();
    this.resolved.set(cacheKey, resolved);
    return resolved;
  }

  /** True when the image's layers are unpacked in the snapshotter. */
  async isUnpacked(
    image: ResolvedImage,
    options: CallOptions & { snapshotter?: string } = {},
  ): Promise<boolean> {
    try {
      await this.deps.snapshots.stat(image.chainId, options);
      return true;
    } catch (e) {
      if (isContainerdError(e, "NotFound")) return false;
      throw e;
    }
  }

  /** Unpacks a resolved image into the snapshotter (no-op for layers already there). */
  async unpack(
    image: ResolvedImage,
    options: { snapshotter?: string; lease?: string } = {},
  ): Promise<string> {
    const manifest: ImageManifest = {
      schemaVersion: 2,
      config: image.configDescriptor,
      layers: image.layers,
    };
    return unpackLayers(this.deps, manifest, image.config, {
      snapshotter: options.snapshotter ?? this.deps.snapshots.defaultSnapshotter,
      lease: options.lease,
      imageName: image.name,
    });
  }
}

function imageFromPb(i: {
  name: string;
  labels: Labels;
  target?: Parameters<typeof descriptorFromPb>[0];
  createdAt?: Parameters<typeof toDate>[0];
  updatedAt?: Parameters<typeof toDate>[0];
}): ImageInfo {
  const out: ImageInfo = { name: i.name, target: descriptorFromPb(i.target), labels: { ...i.labels } };
  const c = toDate(i.createdAt);
  const u = toDate(i.updatedAt);
  if (c) out.createdAt = c;
  if (u) out.updatedAt = u;
  return out;
}
