// containerd's Version service.

import type { CallOptions, Connection } from "./connection.ts";
import { Version } from "./gen/github.com/containerd/containerd/api/services/version/v1/version_pb.ts";

export interface ContainerdVersion {
  version: string;
  revision: string;
}

export async function getVersion(conn: Connection, options?: CallOptions): Promise<ContainerdVersion> {
  const res = await conn.read("version", () => conn.client(Version).version({}, conn.options(options)));
  return { version: res.version, revision: res.revision };
}
