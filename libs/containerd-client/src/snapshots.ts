// containerd's Snapshots service, for one snapshotter (overlayfs by default).

import type { CallOptions, Connection } from "./connection.ts";
import { mountFromPb, toDate } from "./convert.ts";
import {
  Kind,
  Snapshots,
} from "./gen/github.com/containerd/containerd/api/services/snapshots/v1/snapshots_pb.ts";
import type { Labels, Mount } from "./types.ts";

export type SnapshotKind = "view" | "active" | "committed" | "unknown";

export interface SnapshotInfo {
  name: string;
  parent: string;
  kind: SnapshotKind;
  labels: Labels;
  createdAt?: Date;
  updatedAt?: Date;
}

export interface SnapshotOptions extends CallOptions {
  /** Snapshotter (default: the client's). */
  snapshotter?: string;
  /** Lease that holds the snapshot until it is referenced. */
  lease?: string;
}

const KINDS: Record<Kind, SnapshotKind> = {
  [Kind.UNKNOWN]: "unknown",
  [Kind.VIEW]: "view",
  [Kind.ACTIVE]: "active",
  [Kind.COMMITTED]: "committed",
};

export class SnapshotsApi {
  constructor(
    private readonly conn: Connection,
    /** The snapshotter used when a call names none. */
    readonly defaultSnapshotter: string,
  ) {}

  private name(o?: SnapshotOptions): string {
    return o?.snapshotter ?? this.defaultSnapshotter;
  }

  /** Creates a writable snapshot `key` on top of committed `parent` ("" for an empty one). */
  async prepare(
    key: string,
    parent: string,
    options: SnapshotOptions & { labels?: Labels } = {},
  ): Promise<Mount[]> {
    const snapshotter = this.name(options);
    const res = await this.conn.call(`snapshots.prepare ${JSON.stringify(key)} (${snapshotter})`, () =>
      this.conn
        .client(Snapshots)
        .prepare(
          { snapshotter, key, parent, labels: options.labels ?? {} },
          this.conn.options(options, { lease: options.lease }),
        ),
    );
    return res.mounts.map(mountFromPb);
  }

  /** Creates a read-only view `key` of committed `parent`. */
  async view(
    key: string,
    parent: string,
    options: SnapshotOptions & { labels?: Labels } = {},
  ): Promise<Mount[]> {
    const snapshotter = this.name(options);
    const res = await this.conn.call(`snapshots.view ${JSON.stringify(key)} (${snapshotter})`, () =>
      this.conn
        .client(Snapshots)
        .view(
          { snapshotter, key, parent, labels: options.labels ?? {} },
          this.conn.options(options, { lease: options.lease }),
        ),
    );
    return res.mounts.map(mountFromPb);
  }

  async mounts(key: string, options: SnapshotOptions = {}): Promise<Mount[]> {
    const snapshotter = this.name(options);
    const res = await this.conn.read(`snapshots.mounts ${JSON.stringify(key)} (${snapshotter})`, () =>
      this.conn.client(Snapshots).mounts({ snapshotter, key }, this.conn.options(options)),
    );
    return res.mounts.map(mountFromPb);
  }

  /** Commits active snapshot `key` as `name`. */
  async commit(
    name: string,
    key: string,
    options: SnapshotOptions & { labels?: Labels } = {},
  ): Promise<void> {
    const snapshotter = this.name(options);
    await this.conn.call(
      `snapshots.commit ${JSON.stringify(key)} as ${JSON.stringify(name)} (${snapshotter})`,
      () =>
        this.conn
          .client(Snapshots)
          .commit(
            { snapshotter, name, key, labels: options.labels ?? {} },
            this.conn.options(options, { lease: options.lease }),
          ),
    );
  }

  async remove(key: string, options: SnapshotOptions = {}): Promise<void> {
    const snapshotter = this.name(options);
    await this.conn.call(`snapshots.remove ${JSON.stringify(key)} (${snapshotter})`, () =>
      this.conn.client(Snapshots).remove({ snapshotter, key }, this.conn.options(options)),
    );
  }

  async stat(key: string, options: SnapshotOptions = {}): Promise<SnapshotInfo> {
    const snapshotter = this.name(options);
    const res = await this.conn.read(`snapshots.stat ${JSON.stringify(key)} (${snapshotter})`, () =>
      this.conn.client(Snapshots).stat({ snapshotter, key }, this.conn.options(options)),
    );
    return infoFromPb(res.info, key);
  }

  async list(filters: string[] = [], options: SnapshotOptions = {}): Promise<SnapshotInfo[]> {
    const snapshotter = this.name(options);
    const out: SnapshotInfo[] = [];
    await this.conn.read(`snapshots.list (${snapshotter})`, async () => {
      for await (const res of this.conn
        .client(Snapshots)
        .list({ snapshotter, filters }, this.conn.options(options)))
        for (const i of res.info) out.push(infoFromPb(i, i.name));
    });
    return out;
  }

  /** Disk usage of a snapshot (its own layer only). */
  async usage(key: string, options: SnapshotOptions = {}): Promise<{ bytes: number; inodes: number }> {
    const snapshotter = this.name(options);
    const res = await this.conn.read(`snapshots.usage ${JSON.stringify(key)} (${snapshotter})`, () =>
      this.conn.client(Snapshots).usage({ snapshotter, key }, this.conn.options(options)),
    );
    return { bytes: Number(res.size), inodes: Number(res.inodes) };
  }
}

function infoFromPb(
  i:
    | {
        name: string;
        parent: string;
        kind: Kind;
        labels: Labels;
        createdAt?: Parameters<typeof toDate>[0];
        updatedAt?: Parameters<typeof toDate>[0];
      }
    | undefined,
  key: string,
): SnapshotInfo {
  const out: SnapshotInfo = {
    name: i?.name || key,
    parent: i?.parent ?? "",
    kind: KINDS[i?.kind ?? Kind.UNKNOWN],
    labels: { ...i?.labels },
  };
  const c = toDate(i?.createdAt);
  const u = toDate(i?.updatedAt);
  if (c) out.createdAt = c;
  if (u) out.updatedAt = u;
  return out;
}
