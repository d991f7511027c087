// containerd's Content service: blobs by digest. Writes stream in chunks of at most 64 KiB under
// an optional lease; reads come back to callers in pieces of at most 64 KiB.

import { type ByteSource, MAX_CHUNK_BYTES, rechunk } from "./chunks.ts";
import type { CallOptions, Connection } from "./connection.ts";
import { toDate } from "./convert.ts";
import { ContainerdError, isContainerdError } from "./errors.ts";
import {
  Content,
  WriteAction,
} from "./gen/github.com/containerd/containerd/api/services/content/v1/content_pb.ts";
import type { Labels } from "./types.ts";

export interface ContentInfo {
  digest: string;
  size: number;
  createdAt?: Date;
  updatedAt?: Date;
  labels: Labels;
}

export interface WriteContentOptions extends CallOptions {
  /** Ingest reference (default: a unique one). Two writers may not share a ref at the same time. */
  ref?: string;
  /** Expected digest; containerd verifies it on commit, and skips the upload if it has the blob. */
  expected?: string;
  /** Expected size in bytes. */
  size?: number;
  /** Labels set on the blob at commit (e.g. garbage-collection references). */
  labels?: Labels;
  /** Lease to write under (protects the blob from garbage collection until referenced). */
  lease?: string;
}

export interface WriteContentResult {
  digest: string;
  size: number;
  /** True when containerd had the blob already and nothing was uploaded. */
  existed: boolean;
}

/** Streams are slow to fail when containerd is slow: long transfers get a longer default deadline. */
const TRANSFER_TIMEOUT_MS = 10 * 60_000;

export class ContentApi {
  constructor(private readonly conn: Connection) {}

  async info(digest: string, options?: CallOptions): Promise<ContentInfo> {
    const res = await this.conn.read(`content.info ${digest}`, () =>
      this.conn.client(Content).info({ digest }, this.conn.options(options)),
    );
    return infoFromPb(res.info, digest);
  }

  /** True when the blob is in the store. */
  async has(digest: string, options?: CallOptions): Promise<boolean> {
    try {
      await this.info(digest, options);
      return true;
    } catch (e) {
      if (isContainerdError(e, "NotFound")) return false;
      throw e;
    }
  }

  async list(filters: string[] = [], options?: CallOptions): Promise<ContentInfo[]> {
    const out: ContentInfo[] = [];
    await this.conn.read("content.list", async () => {
      for await (const res of this.conn.client(Content).list({ filters }, this.conn.options(options)))
        for (const i of res.info) out.push(infoFromPb(i, i.digest));
    });
    return out;
  }

  async remove(digest: string, options?: CallOptions): Promise<void> {
    await this.conn.call(`content.remove ${digest}`, () =>
      this.conn.client(Content).delete({ digest }, this.conn.options(options)),
    );
  }

  /**
   * Sets (string) or removes (undefined) the given labels of a blob, leaving its other labels alone.
   */
  async setLabels(
    digest: string,
    labels: Record<string, string | undefined>,
    options?: CallOptions,
  ): Promise<ContentInfo> {
    const set: Labels = {};
    for (const [k, v] of Object.entries(labels)) if (v !== undefined) set[k] = v;
    const res = await this.conn.call(`content.setLabels ${digest}`, () =>
      this.conn.client(Content).update(
        {
          info: { digest, labels: set },
          updateMask: { paths: Object.keys(labels).map((k) => `labels.${k}`) },
        },
        this.conn.options(options),
      ),
    );
    return infoFromPb(res.info, digest);
  }

  /** Reads a blob (or `size` bytes of it from `offset`) in pieces of at most 64 KiB. */
  async *read(
    digest: string,
    options: CallOptions & { offset?: number; size?: number } = {},
  ): AsyncGenerator<Uint8Array> {
    const op = `content.read ${digest}`;
    const call = this.conn.options(options, {
      timeoutMs: Math.max(this.conn.timeoutMs, TRANSFER_TIMEOUT_MS),
    });
    try {
      const stream = this.conn
        .client(Content)
        .read({ digest, offset: BigInt(options.offset ?? 0), size: BigInt(options.size ?? 0) }, call);
      for await (const res of stream) yield* rechunk(res.data, MAX_CHUNK_BYTES);
    } catch (e) {
      throw this.conn.error(op, e);
    }
  }

  /** Reads a whole blob into memory; refuses blobs larger than `maxBytes` (default 16 MiB). */
  async readAll(digest: string, options: CallOptions & { maxBytes?: number } = {}): Promise<Uint8Array> {
    const max = options.maxBytes ?? 16 * 1024 * 1024;
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const piece of this.read(digest, options)) {
      size += piece.length;
      if (size > max)
        throw new ContainerdError(
          "InvalidArgument",
          `content.readAll ${digest}`,
          `blob is larger than the ${max} bytes allowed`,
        );
      parts.push(piece);
    }
    return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
  }

  /**
   * Writes a blob. With `expected`, containerd verifies the digest on commit and answers at once
   * when it holds the blob already (adding it to the lease); the result says so.
   */
  async write(data: ByteSource, options: WriteContentOptions = {}): Promise<WriteContentResult> {
    const ref = options.ref ?? `bronze-${crypto.randomUUID()}`;
    const op = `content.write ${options.expected ?? ref}`;
    let sourceError: unknown;
    let written = 0;
    // Without an expected digest, hash locally: an AlreadyExists commit must still name the blob.
    const hasher = options.expected ? undefined : new Bun.CryptoHasher("sha256");
    async function* requests() {
      let first = true;
      try {
        for await (const chunk of rechunk(data)) {
          yield {
            action: WriteAction.WRITE,
            ref,
            total: first ? BigInt(options.size ?? 0) : 0n,
            expected: first ? (options.expected ?? "") : "",
            offset: BigInt(written),
            data: chunk,
          };
          first = false;
          written += chunk.length;
          hasher?.update(chunk);
        }
      } catch (e) {
        sourceError = e;
        throw e;
      }
      if (options.size !== undefined && written !== options.size) {
        sourceError = new ContainerdError(
          "InvalidArgument",
          op,
          `got ${written} bytes, expected ${options.size}`,
        );
        throw sourceError;
      }
      yield {
        action: WriteAction.COMMIT,
        ref,
        total: BigInt(written),
        expected: options.expected ?? "",
        offset: BigInt(written),
        labels: options.labels ?? {},
      };
    }
    const call = this.conn.options(options, {
      lease: options.lease,
      timeoutMs: Math.max(this.conn.timeoutMs, TRANSFER_TIMEOUT_MS),
    });
    let digest = "";
    try {
      for await (const res of this.conn.client(Content).write(requests(), call)) {
        if (res.action === WriteAction.COMMIT) digest = res.digest;
      }
    } catch (e) {
      if (sourceError !== undefined) {
        await this.abort(ref).catch(() => {});
        throw sourceError instanceof ContainerdError ? sourceError : this.conn.error(op, sourceError);
      }
      const err = this.conn.error(op, e);
      if (err.code === "AlreadyExists") {
        const existing = options.expected ?? `sha256:${hasher?.digest("hex")}`;
        return { digest: existing, size: options.size ?? (await this.info(existing)).size, existed: true };
      }
      await this.abort(ref).catch(() => {});
      throw err;
    }
    if (!digest) throw new ContainerdError("Internal", op, "containerd closed the write without committing");
    return { digest, size: written, existed: false };
  }

  /** Abandons an unfinished write. */
  async abort(ref: string, options?: CallOptions): Promise<void> {
    await this.conn.call(`content.abort ${ref}`, () =>
      this.conn.client(Content).abort({ ref }, this.conn.options(options)),
    );
  }
}

function infoFromPb(
  i:
    | {
        digest: string;
        size: bigint;
        createdAt?: Parameters<typeof toDate>[0];
        updatedAt?: Parameters<typeof toDate>[0];
        labels: Labels;
      }
    | undefined,
  digest: string,
): ContentInfo {
  const out: ContentInfo = {
    digest: i?.digest || digest,
    size: Number(i?.size ?? 0n),
    labels: { ...i?.labels },
  };
  const c = toDate(i?.createdAt);
  const u = toDate(i?.updatedAt);
  if (c) out.createdAt = c;
  if (u) out.updatedAt = u;
  return out;
}
