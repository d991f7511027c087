// containerd's Diff service: applies a layer blob from the content store onto mounts.

import type { CallOptions, Connection } from "./connection.ts";
import { descriptorFromPb, descriptorToPb, mountToPb } from "./convert.ts";
import { Diff } from "./gen/github.com/containerd/containerd/api/services/diff/v1/diff_pb.ts";
import type { Descriptor, Mount } from "./types.ts";

export class DiffApi {
  constructor(private readonly conn: Connection) {}

  /** Applies `layer` (from the content store) onto `mounts`; returns the uncompressed diff's descriptor. */
  async apply(layer: Descriptor, mounts: Mount[], options?: CallOptions): Promise<Descriptor> {
    const res = await this.conn.call(`diff.apply ${layer.digest}`, () =>
      this.conn
        .client(Diff)
        .apply(
          { diff: descriptorToPb(layer), mounts: mounts.map(mountToPb) },
          this.conn.options(options, { timeoutMs: Math.max(this.conn.timeoutMs, 10 * 60_000) }),
        ),
    );
    return descriptorFromPb(res.applied);
  }
}
