// containerd's Namespaces service.

import { type CallOptions, type Connection, validateIdentifier } from "./connection.ts";
import { ContainerdError, isContainerdError } from "./errors.ts";
import { Namespaces } from "./gen/github.com/containerd/containerd/api/services/namespaces/v1/namespace_pb.ts";
import type { Labels } from "./types.ts";

export interface NamespaceInfo {
  name: string;
  labels: Labels;
}

export class NamespacesApi {
  constructor(private readonly conn: Connection) {}

  async list(options?: CallOptions): Promise<NamespaceInfo[]> {
    const res = await this.conn.read("namespaces.list", () =>
      this.conn.client(Namespaces).list({}, this.conn.options(options)),
    );
    return res.namespaces
      .map((n) => ({ name: n.name, labels: { ...n.labels } }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** NotFound when the namespace does not exist (containerd's own Get answers with empty labels). */
  async get(name: string, options?: CallOptions): Promise<NamespaceInfo> {
    const found = (await this.list(options)).find((n) => n.name === name);
    if (!found)
      throw new ContainerdError(
        "NotFound",
        `namespaces.get ${JSON.stringify(name)}`,
        `namespace ${JSON.stringify(name)} not found`,
      );
    return found;
  }

  async create(name: string, labels: Labels = {}, options?: CallOptions): Promise<NamespaceInfo> {
    const op = `namespaces.create ${JSON.stringify(name)}`;
    validateIdentifier(op, "namespace", name);
    const res = await this.conn.call(op, () =>
      this.conn.client(Namespaces).create({ namespace: { name, labels } }, this.conn.options(options)),
    );
    return { name: res.namespace?.name ?? name, labels: { ...res.namespace?.labels } };
  }

  /** Creates the namespace unless it exists already. */
  async ensure(name: string, options?: CallOptions): Promise<void> {
    try {
      await this.create(name, {}, options);
    } catch (e) {
      if (!isContainerdError(e, "AlreadyExists")) throw e;
    }
  }

  /** Removes an empty namespace; FailedPrecondition when it still holds images, containers, content... */
  async remove(name: string, options?: CallOptions): Promise<void> {
    const op = `namespaces.remove ${JSON.stringify(name)}`;
    await this.conn.call(op, () => this.conn.client(Namespaces).delete({ name }, this.conn.options(options)));
  }
}
