// containerd's Leases service: leases protect content and snapshots from garbage collection while
// they are being written, and are deleted once the objects are referenced (or the work failed).

import type { CallOptions, Connection } from "./connection.ts";
import { toDate } from "./convert.ts";
import { Leases } from "./gen/github.com/containerd/containerd/api/services/leases/v1/leases_pb.ts";
import type { Labels } from "./types.ts";

export interface LeaseInfo {
  id: string;
  createdAt?: Date;
  labels: Labels;
}

export interface LeaseResource {
  id: string;
  /** "content", "snapshots/<snapshotter>", "ingests" */
  type: string;
}

/** The label that makes containerd's GC drop a lease (and what only it holds) after a while. */
export const LEASE_EXPIRE_LABEL = "containerd.io/gc.expire";

export class LeasesApi {
  constructor(private readonly conn: Connection) {}

  /** Creates a lease that expires after `expiresInMs` (default one hour) even if never deleted. */
  async create(
    options: { id?: string; expiresInMs?: number; labels?: Labels } = {},
    call?: CallOptions,
  ): Promise<LeaseInfo> {
    const id = options.id ?? `bronze-${Date.now()}-${crypto.randomUUID().slice(0, 8)}`;
    const expires = new Date(Date.now() + (options.expiresInMs ?? 60 * 60_000));
    const labels = { [LEASE_EXPIRE_LABEL]: expires.toISOString(), ...options.labels };
    const res = await this.conn.call(`leases.create ${JSON.stringify(id)}`, () =>
      this.conn.client(Leases).create({ id, labels }, this.conn.options(call)),
    );
    return leaseFromPb(res.lease, id);
  }

  async list(filters: string[] = [], call?: CallOptions): Promise<LeaseInfo[]> {
    const res = await this.conn.read("leases.list", () =>
      this.conn.client(Leases).list({ filters }, this.conn.options(call)),
    );
    return res.leases.map((l) => leaseFromPb(l, l.id));
  }

  /** Deletes a lease; with `sync`, waits for the garbage collection it triggers. */
  async remove(id: string, options: { sync?: boolean } = {}, call?: CallOptions): Promise<void> {
    await this.conn.call(`leases.remove ${JSON.stringify(id)}`, () =>
      this.conn.client(Leases).delete({ id, sync: options.sync ?? false }, this.conn.options(call)),
    );
  }

  async addResource(id: string, resource: LeaseResource, call?: CallOptions): Promise<void> {
    await this.conn.call(`leases.addResource ${JSON.stringify(id)} ${resource.type}/${resource.id}`, () =>
      this.conn.client(Leases).addResource({ id, resource }, this.conn.options(call)),
    );
  }

  async resources(id: string, call?: CallOptions): Promise<LeaseResource[]> {
    const res = await this.conn.read(`leases.resources ${JSON.stringify(id)}`, () =>
      this.conn.client(Leases).listResources({ id }, this.conn.options(call)),
    );
    return res.resources.map((r) => ({ id: r.id, type: r.type }));
  }

  /**
   * Runs `fn` under a new lease and deletes the lease afterwards, whether `fn` succeeded or not:
   * on success what `fn` made is referenced by then; on failure it is garbage, and the lease is
   * deleted synchronously so that the garbage is collected before this returns.
   */
  async with<R>(fn: (leaseId: string) => Promise<R>, options: { expiresInMs?: number } = {}): Promise<R> {
    const lease = await this.create(options);
    let result: R;
    try {
      result = await fn(lease.id);
    } catch (e) {
      await this.remove(lease.id, { sync: true }).catch(() => {});
      throw e;
    }
    // If this fails (containerd just went away), the lease's expiry label still frees it later.
    await this.remove(lease.id).catch(() => {});
    return result;
  }
}

function leaseFromPb(
  l: { id: string; createdAt?: Parameters<typeof toDate>[0]; labels: Labels } | undefined,
  id: string,
): LeaseInfo {
  const out: LeaseInfo = { id: l?.id || id, labels: { ...l?.labels } };
  const created = toDate(l?.createdAt);
  if (created) out.createdAt = created;
  return out;
}
