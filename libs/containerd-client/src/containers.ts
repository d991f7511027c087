// containerd's Containers service: container records (id, image, runtime, spec, snapshot, labels).

import { type CallOptions, type Connection, validateIdentifier } from "./connection.ts";
import { toDate } from "./convert.ts";
import { Containers } from "./gen/github.com/containerd/containerd/api/services/containers/v1/containers_pb.ts";
import type { RuntimeSpec } from "./runtime-spec.ts";
import { specFromAny, specToAny } from "./spec-any.ts";
import type { Labels } from "./types.ts";

export const DEFAULT_RUNTIME = "io.containerd.runc.v2";

export interface ContainerInfo {
  id: string;
  image: string;
  labels: Labels;
  runtime: string;
  spec?: RuntimeSpec;
  snapshotter: string;
  snapshotKey: string;
  createdAt?: Date;
  updatedAt?: Date;
}

export interface ContainerRecord {
  id: string;
  spec: RuntimeSpec;
  image?: string;
  labels?: Labels;
  /** Default io.containerd.runc.v2. */
  runtime?: string;
  snapshotter?: string;
  snapshotKey?: string;
}

type PbContainer = {
  id: string;
  image: string;
  labels: Labels;
  runtime?: { name: string };
  spec?: Parameters<typeof specFromAny>[0];
  snapshotter: string;
  snapshotKey: string;
  createdAt?: Parameters<typeof toDate>[0];
  updatedAt?: Parameters<typeof toDate>[0];
};

function containerFromPb(c: PbContainer, op: string): ContainerInfo {
  const out: ContainerInfo = {
    id: c.id,
    image: c.image,
    labels: { ...c.labels },
    runtime: c.runtime?.name ?? "",
    snapshotter: c.snapshotter,
    snapshotKey: c.snapshotKey,
  };
  const spec = specFromAny(c.spec, op);
  if (spec) out.spec = spec;
  const cr = toDate(c.createdAt);
  const up = toDate(c.updatedAt);
  if (cr) out.createdAt = cr;
  if (up) out.updatedAt = up;
  return out;
}

export class ContainersApi {
  constructor(private readonly conn: Connection) {}

  /** Creates a container record (no snapshot, no task: see ContainerdClient.createContainer). */
  async create(
    record: ContainerRecord,
    options: CallOptions & { lease?: string } = {},
  ): Promise<ContainerInfo> {
    const op = `containers.create ${JSON.stringify(record.id)}`;
    validateIdentifier(op, "container id", record.id);
    const res = await this.conn.call(op, () =>
      this.conn.client(Containers).create(
        {
          container: {
            id: record.id,
            image: record.image ?? "",
            labels: record.labels ?? {},
            runtime: { name: record.runtime ?? DEFAULT_RUNTIME },
            spec: specToAny(record.spec),
            snapshotter: record.snapshotter ?? "",
            snapshotKey: record.snapshotKey ?? "",
          },
        },
        this.conn.options(options, { lease: options.lease }),
      ),
    );
    return containerFromPb(res.container as PbContainer, op);
  }

  async get(id: string, options?: CallOptions): Promise<ContainerInfo> {
    const op = `containers.get ${JSON.stringify(id)}`;
    const res = await this.conn.read(op, () =>
      this.conn.client(Containers).get({ id }, this.conn.options(options)),
    );
    return containerFromPb(res.container as PbContainer, op);
  }

  /** Lists containers, optionally filtered (containerd filter syntax, e.g. `labels."app"==etcd`). */
  async list(filters: string[] = [], options?: CallOptions): Promise<ContainerInfo[]> {
    const op = "containers.list";
    const res = await this.conn.read(op, () =>
      this.conn.client(Containers).list({ filters }, this.conn.options(options)),
    );
    return res.containers
      .map((c) => containerFromPb(c as PbContainer, op))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Sets (string) or removes (undefined) labels, leaving the others alone. */
  async setLabels(
    id: string,
    labels: Record<string, string | undefined>,
    options?: CallOptions,
  ): Promise<ContainerInfo> {
    const op = `containers.setLabels ${JSON.stringify(id)}`;
    const set: Labels = {};
    for (const [k, v] of Object.entries(labels)) if (v !== undefined) set[k] = v;
    const res = await this.conn.call(op, () =>
      this.conn.client(Containers).update(
        {
          container: { id, labels: set },
          updateMask: { paths: Object.keys(labels).map((k) => `labels.${k}`) },
        },
        this.conn.options(options),
      ),
    );
    return containerFromPb(res.container as PbContainer, op);
  }

  /** Deletes the record only (its snapshot stays: see ContainerdClient.removeContainer). */
  async remove(id: string, options?: CallOptions): Promise<void> {
    await this.conn.call(`containers.remove ${JSON.stringify(id)}`, () =>
      this.conn.client(Containers).delete({ id }, this.conn.options(options)),
    );
  }
}
