// Imports an image archive: an OCI image layout tarball (oci-layout, index.json, blobs/sha256/*)
// or a Docker archive (`docker save`: manifest.json, <id>.json configs, <id>/layer.tar layers),
// optionally gzip-compressed, from a file, bytes or a stream. Like containerd's own importer, every
// blob is written under a lease as the archive streams past; then the images are labelled for
// garbage collection, unpacked, and recorded. On failure the lease goes and so does what was written.
import { existsSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import type { CallOptions } from "./connection.ts";
import type { ContentApi } from "./content.ts";
import type { DiffApi } from "./diff.ts";
import { ContainerdError, isContainerdError } from "./errors.ts";
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  formatPlatform,
  hostPlatform,
  type ImageManifest,
  isIndexMediaType,
  isManifestMediaType,
  MediaType,
  normalizeImageName,
  type PlatformDescriptor,
  parseImageConfig,
  parseIndex,
  parseManifest,
  platformMatches,
  sha256Digest,
} from "./image-spec.ts";
import { unpackLayers } from "./image-unpack.ts";
import type { LeasesApi } from "./leases.ts";
import type { SnapshotsApi } from "./snapshots.ts";
import { readTar } from "./tar-reader.ts";
import type { Descriptor, ImageInfo, Labels, Platform } from "./types.ts";

export type ImageSource = string | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface ImportImageOptions extends CallOptions {
  /**
   * Name of the image. Required when the archive names none; when it holds exactly one image,
   * overrides the archive's name.
   */
  name?: string;
  /** Unpack into the snapshotter (default true). */
  unpack?: boolean;
  snapshotter?: string;
  /** Platform to unpack (default: this host's). */
  platform?: Platform;
  /** Labels set on the image records. */
  labels?: Labels;
}

export interface ImportDeps {
  content: ContentApi;
  leases: LeasesApi;
  diff: DiffApi;
  snapshots: SnapshotsApi;
  /** Records an image (ImagesApi.put). */
  images: {
    put(
      image: { name: string; target: Descriptor; labels?: Labels },
      options?: CallOptions,
    ): Promise<ImageInfo>;
  };
  defaultSnapshotter: string;
}

const GC_CONTENT = "containerd.io/gc.ref.content";
/** Blobs up to this size are kept in memory while importing (manifests, configs, indexes). */
const KEEP_BYTES = 1024 * 1024;

interface Blob {
  digest: string;
  size: number;
  gzip: boolean;
  bytes?: Uint8Array;
}

function sourceName(source: ImageSource): string {
  return typeof source === "string"
    ? source
    : source instanceof Uint8Array
      ? `<${source.length} bytes>`
      : "<stream>";
}

function sourceBytes(source: ImageSource, op: string): AsyncIterable<Uint8Array> {
  if (typeof source === "string") {
    if (!existsSync(source))
      throw new ContainerdError("NotFound", op, `image archive ${source} does not exist`);
    if (!statSync(source).isFile())
      throw new ContainerdError("InvalidArgument", op, `image archive ${source} is not a file`);
    return Bun.file(source).stream();
  }
  if (source instanceof Uint8Array)
    return (async function* () {
      yield source;
    })();
  return source as AsyncIterable<Uint8Array>;
}

/** Passes the bytes through, gunzipping them when they start with the gzip magic. */
async function* gunzipIfNeeded(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = input[Symbol.asyncIterator]();
  let head: Uint8Array = new Uint8Array(0);
  while (head.length < 2) {
    const r = await it.next();
    if (r.done) break;
    head = head.length === 0 ? r.value : Buffer.concat([head, r.value]);
  }
  const rest = (async function* () {
    if (head.length > 0) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  })();
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield* rest;
    return;
  }
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await rest.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
  }).pipeThrough(new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  try {
    for await (const chunk of stream) yield chunk;
  } catch (e) {
    if (e instanceof ContainerdError) throw e;
    throw new ContainerdError(
      "InvalidArgument",
      "read tarball",
      `corrupt gzip stream (${(e as Error).message})`,
    );
  }
}

function cleanPath(p: string): string {
  const n = normalize(p)
    .replace(/^(\.\/)+/, "")
    .replace(/\/+$/, "");
  return n === "." ? "" : n;
}

export async function importImageArchive(
  deps: ImportDeps,
  source: ImageSource,
  options: ImportImageOptions = {},
): Promise<ImageInfo[]> {
  const where = sourceName(source);
  const op = `images.import ${where}`;
  const platform = options.platform ?? hostPlatform();
  const snapshotter = options.snapshotter ?? deps.defaultSnapshotter;
  const input = sourceBytes(source, op);
  const fail = (detail: string) => new ContainerdError("InvalidArgument", op, detail);
  try {
    return await deps.leases.with(async (lease) => {
      const blobs = new Map<string, Blob>();
      const byDigest = new Map<string, Blob>();
      const symlinks = new Map<string, string>();
      let layoutVersion: string | undefined;
      let indexBytes: Uint8Array | undefined;
      let dockerManifest: unknown;

      for await (const entry of readTar(gunzipIfNeeded(input))) {
        const path = cleanPath(entry.header.path);
        if (entry.header.type === "symlink") {
          symlinks.set(path, cleanPath(join(dirname(path), entry.header.linkName)));
          continue;
        }
        if (entry.header.type !== "file") continue;
        if (path === "oci-layout" || path === "index.json" || path === "manifest.json") {
          if (entry.header.size > 20 * 1024 * 1024)
            throw fail(`${path} is implausibly large (${entry.header.size} bytes)`);
          const bytes = await entry.bytes();
          if (path === "index.json") indexBytes = bytes;
          else {
            let parsed: unknown;
            try {
              parsed = JSON.parse(new TextDecoder().decode(bytes));
            } catch (e) {
              throw fail(`${path} is not valid JSON (${(e as Error).message})`);
            }
            if (path === "oci-layout")
              layoutVersion = String((parsed as { imageLayoutVersion?: unknown })?.imageLayoutVersion ?? "");
            else dockerManifest = parsed;
          }
          continue;
        }
        if (path === "repositories") continue;
        const named = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
        const expected = named ? `sha256:${named[1]}` : undefined;
        const size = entry.header.size;
        let blob: Blob;
        if (size <= KEEP_BYTES) {
          const bytes = await entry.bytes();
          const digest = sha256Digest(bytes);
          if (expected && digest !== expected)
            throw fail(`${path} does not match its digest (its content hashes to ${digest})`);
          await deps.content.write(bytes, { expected: digest, size, lease });
          blob = { digest, size, gzip: bytes[0] === 0x1f && bytes[1] === 0x8b, bytes };
        } else {
          let gzip = false;
          let first = true;
          const body = entry.body();
          const peeked = (async function* () {
            for await (const piece of body) {
              if (first) gzip = piece[0] === 0x1f && piece[1] === 0x8b;
              first = false;
              yield piece;
            }
          })();
          const res = await deps.content.write(peeked, { expected, size, lease }).catch((e) => {
            if (isContainerdError(e, "FailedPrecondition") && expected)
              throw fail(`${path} does not match its digest (${(e as ContainerdError).detail})`);
            throw e;
          });
          blob = { digest: res.digest, size, gzip };
        }
        blobs.set(path, blob);
        byDigest.set(blob.digest, blob);
      }

      const readBlob = async (d: Descriptor, what: string): Promise<Uint8Array> => {
        const b = byDigest.get(d.digest);
        if (b?.bytes) return b.bytes;
        if (!b && !(await deps.content.has(d.digest)))
          throw fail(`${what} ${d.digest} is not in the archive`);
        return deps.content.readAll(d.digest, { maxBytes: 4 * 1024 * 1024 });
      };

      // The images the archive declares: top-level descriptors with their names.
      let candidates: PlatformDescriptor[];
      if (layoutVersion !== undefined) {
        if (layoutVersion !== "1.0.0")
          throw fail(`unsupported OCI layout version ${JSON.stringify(layoutVersion)}`);
        if (!indexBytes) throw fail("the OCI layout has no index.json");
        candidates = parseIndex(indexBytes, `${where}: index.json`).manifests;
      } else if (dockerManifest !== undefined) {
        candidates = await dockerCandidates(dockerManifest);
      } else {
        throw fail("not an image archive: it has neither oci-layout nor manifest.json");
      }
      if (candidates.length === 0) throw fail("the archive holds no image");

      async function dockerCandidates(doc: unknown): Promise<PlatformDescriptor[]> {
        if (!Array.isArray(doc)) throw fail("manifest.json is not a list");
        const resolve = (p: string) => {
          const c = cleanPath(p);
          return blobs.get(c) ?? blobs.get(symlinks.get(c) ?? "");
        };
        const out: PlatformDescriptor[] = [];
        for (const [i, entry] of doc.entries()) {
          const e = entry as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
          if (typeof e.Config !== "string" || !Array.isArray(e.Layers))
            throw fail(`manifest.json[${i}] lacks Config or Layers`);
          const config = resolve(e.Config);
          if (!config) throw fail(`manifest.json[${i}]: config ${e.Config} is not in the archive`);
          const layers = e.Layers.map((l: unknown, j: number) => {
            const b = typeof l === "string" ? resolve(l) : undefined;
            if (!b) throw fail(`manifest.json[${i}]: layer ${j} (${String(l)}) is not in the archive`);
            return {
              mediaType: b.gzip ? MediaType.dockerLayerGzip : MediaType.dockerLayer,
              digest: b.digest,
              size: b.size,
            };
          });
          const configDoc = parseImageConfig(
            await readBlob(
              { mediaType: MediaType.dockerConfig, digest: config.digest, size: config.size },
              "config",
            ),
            `${where}: ${e.Config}`,
          );
          const manifest = {
            schemaVersion: 2,
            mediaType: MediaType.dockerManifest,
            config: { mediaType: MediaType.dockerConfig, digest: config.digest, size: config.size },
            layers,
          };
          const bytes = new TextEncoder().encode(JSON.stringify(manifest));
          const digest = sha256Digest(bytes);
          await deps.content.write(bytes, { expected: digest, size: bytes.length, lease });
          const b: Blob = { digest, size: bytes.length, gzip: false, bytes };
          byDigest.set(digest, b);
          const desc: PlatformDescriptor = {
            mediaType: MediaType.dockerManifest,
            digest,
            size: bytes.length,
            platform: { os: configDoc.os, architecture: configDoc.architecture },
          };
          const tags = Array.isArray(e.RepoTags)
            ? e.RepoTags.filter((t): t is string => typeof t === "string")
            : [];
          if (tags.length === 0) out.push(desc);
          for (const tag of tags) {
            const name = normalizeImageName(tag);
            out.push({ ...desc, annotations: { [ANNOTATION_IMAGE_NAME]: name, [ANNOTATION_REF_NAME]: tag } });
          }
        }
        return out;
      }

      // Name each image.
      if (options.name !== undefined && candidates.length > 1)
        throw fail(`the archive holds ${candidates.length} images; \`name\` can only name a single one`);
      const named = candidates.map((c) => {
        const annotated = c.annotations?.[ANNOTATION_IMAGE_NAME] ?? c.annotations?.[ANNOTATION_REF_NAME];
        const full = annotated && /[/:@]/.test(annotated) ? annotated : undefined;
        const name = options.name ?? full;
        if (!name) throw fail(`the archive's image ${c.digest} has no name; pass \`name\``);
        return { name: normalizeImageName(name), target: c };
      });

      // Label every reachable blob for garbage collection, and pick each image's platform manifest.
      const labelled = new Set<string>();
      const platformManifest = async (
        d: PlatformDescriptor,
        depth: number,
      ): Promise<{ desc: Descriptor; manifest: ImageManifest } | undefined> => {
        if (depth > 4) throw fail("image indexes nest too deep");
        if (isIndexMediaType(d.mediaType)) {
          const index = parseIndex(await readBlob(d, "index"), `${where}: index ${d.digest}`);
          const matching = index.manifests.filter((m) => platformMatches(m.platform, platform));
          if (!labelled.has(d.digest)) {
            const labels: Labels = {};
            for (const [i, m] of matching.entries()) labels[`${GC_CONTENT}.m.${i}`] = m.digest;
            await deps.content.setLabels(d.digest, labels);
            labelled.add(d.digest);
          }
          for (const m of matching) {
            const found = await platformManifest(m, depth + 1);
            if (found) return found;
          }
          return undefined;
        }
        if (!isManifestMediaType(d.mediaType))
          throw fail(`unsupported media type ${d.mediaType} for ${d.digest}`);
        if (!platformMatches(d.platform, platform)) return undefined;
        const manifest = parseManifest(await readBlob(d, "manifest"), `${where}: manifest ${d.digest}`);
        if (!labelled.has(d.digest)) {
          for (const l of manifest.layers)
            if (!byDigest.has(l.digest) && !(await deps.content.has(l.digest)))
              throw fail(`layer ${l.digest} of manifest ${d.digest} is not in the archive`);
          const labels: Labels = { [`${GC_CONTENT}.config`]: manifest.config.digest };
          for (const [i, l] of manifest.layers.entries()) labels[`${GC_CONTENT}.l.${i}`] = l.digest;
          await deps.content.setLabels(d.digest, labels);
          labelled.add(d.digest);
        }
        return { desc: d, manifest };
      };

      const images: ImageInfo[] = [];
      for (const { name, target } of named) {
        const found = await platformManifest(target, 0);
        if (!found) throw fail(`image ${name} has no manifest for ${formatPlatform(platform)}`);
        if (options.unpack ?? true) {
          const config = parseImageConfig(
            await readBlob(found.manifest.config, "config"),
            `${where}: config ${found.manifest.config.digest}`,
          );
          if (!platformMatches({ os: config.os, architecture: config.architecture }, platform))
            throw fail(
              `image ${name} is for ${config.os}/${config.architecture}, not ${formatPlatform(platform)}`,
            );
          await unpackLayers(deps, found.manifest, config, { snapshotter, lease, imageName: name });
        }
        const { platform: _p, ...plain } = target;
        images.push(await deps.images.put({ name, target: plain, labels: options.labels }));
      }
      return images;
    });
  } catch (e) {
    throw e instanceof ContainerdError && e.op === op ? e : rewrap(op, e);
  }
}

/** Errors from inside (tar reading, content writes) keep their code and gain the import's context. */
function rewrap(op: string, e: unknown): ContainerdError {
  if (e instanceof ContainerdError)
    return new ContainerdError(e.code, op, `${e.op}: ${e.detail}`, { cause: e });
  return new ContainerdError("Internal", op, e instanceof Error ? e.message : String(e), { cause: e });
}
