// What `osctl cluster create` leaves under ~/.osctl/clusters/<name>/state.json: every process it
// started (QEMU per node, the config server) so `destroy` can stop them and `show` can report them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { writeFilesAtomically } from "../files/atomic-write.ts";

const NodeStateSchema = z.strictObject({
  name: z.string(),
  role: z.enum(["controlplane", "worker"]),
  pid: z.number().int(),
  mac: z.string(),
  clusterIp: z.string(),
  apidPort: z.number().int(),
  serialLog: z.string(),
});

const ClusterStateSchema = z.strictObject({
  name: z.string(),
  createdAt: z.string(),
  boot: z.enum(["kernel", "pxe", "disk"]),
  osconfig: z.string(),
  context: z.string(),
  server: z.strictObject({ pid: z.number().int(), port: z.number().int(), log: z.string() }),
  nodes: z.array(NodeStateSchema),
});

export type NodeState = z.infer<typeof NodeStateSchema>;
export type ClusterState = z.infer<typeof ClusterStateSchema>;

export class ClusterStateError extends Error {
  override readonly name = "ClusterStateError";
  constructor(
    readonly code: "NotFound" | "Invalid",
    message: string,
  ) {
    super(message);
  }
}

export function clustersDir(home: string): string {
  return join(home, ".osctl", "clusters");
}

export function clusterDir(home: string, name: string): string {
  return join(clustersDir(home), name);
}

export function statePath(home: string, name: string): string {
  return join(clusterDir(home, name), "state.json");
}

export function saveClusterState(home: string, state: ClusterState): void {
  writeFilesAtomically(
    [{ path: statePath(home, state.name), content: `${JSON.stringify(state, null, 2)}\n`, mode: 0o600 }],
    { force: true },
  );
}

export function loadClusterState(home: string, name: string): ClusterState {
  const path = statePath(home, name);
  if (!existsSync(path)) {
    const known = listClusters(home);
    throw new ClusterStateError(
      "NotFound",
      `no cluster "${name}" (${path} does not exist)${known.length ? `; known: ${known.join(", ")}` : ""}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ClusterStateError("Invalid", `${path}: not JSON: ${(error as Error).message}`);
  }
  const parsed = ClusterStateSchema.safeParse(raw);
  if (!parsed.success)
    throw new ClusterStateError(
      "Invalid",
      `${path}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}

export function listClusters(home: string): string[] {
  const dir = clustersDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, "state.json")))
    .sort();
}
