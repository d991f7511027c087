// `osctl cluster create` bootstraps etcd on the first control plane once the nodes answer (as
// `talosctl cluster create` does), then waits until every control plane is a started voting member,
// printing each change of the member list.
import { type EtcdMember, NODE_HEADER } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { type NodeGlobals, withNodeSession } from "../client/node-client.ts";
import type { Io } from "../io.ts";
import type { ClusterState } from "./cluster-state.ts";

export interface BootstrapInput {
  readonly osconfig: string;
  readonly context: string;
  readonly timeoutMs: number;
  readonly elapsed: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** How the member list reads in progress lines: `cp-1, cp-2 (learner), 1 unstarted`. */
export function describeMembers(members: readonly EtcdMember[]): string {
  const started = members.filter((m) => m.hostname !== "");
  const unstarted = members.length - started.length;
  return [
    ...started.map((m) => `${m.hostname}${m.isLearner ? " (learner)" : ""}`),
    ...(unstarted > 0 ? [`${unstarted} unstarted`] : []),
  ].join(", ");
}

/** 0 once etcd has every control plane as a started voting member, 1 (said why) otherwise. */
export async function bootstrapClusterEtcd(
  state: ClusterState,
  input: BootstrapInput,
  io: Io,
): Promise<number> {
  const controlplanes = state.nodes.filter((n) => n.role === "controlplane");
  const first = controlplanes[0];
  if (first === undefined) return 0;
  const globals: NodeGlobals = { osconfig: input.osconfig, context: input.context, nodes: [first.clusterIp] };
  const sleep = input.sleep ?? ((ms: number) => Bun.sleep(ms));
  const now = input.now ?? Date.now;
  return await withNodeSession(globals, io, {}, async (session) => {
    const call = { headers: { [NODE_HEADER]: first.clusterIp }, timeoutMs: session.timeoutMs };
    try {
      await session.client.bootstrap({}, call);
      io.stdout(`${first.name}: etcd bootstrapped (${input.elapsed()})\n`);
    } catch (err) {
      const e = ConnectError.from(err);
      if (e.code !== Code.AlreadyExists) {
        io.stderr(`${first.name}: etcd bootstrap failed: ${e.rawMessage}\n`);
        return 1;
      }
      io.stdout(`${first.name}: etcd was bootstrapped already\n`);
    }
    const deadline = now() + input.timeoutMs;
    let shown = "";
    let last = "";
    for (;;) {
      try {
        const { members } = await session.client.etcdMembers({}, call);
        const text = describeMembers(members);
        if (text !== shown) {
          shown = text;
          io.stdout(`etcd members: ${text} (${input.elapsed()})\n`);
        }
        const voters = members.filter((m) => m.hostname !== "" && !m.isLearner).length;
        if (voters >= controlplanes.length) {
          io.stdout(`etcd healthy: ${voters} voting member${voters === 1 ? "" : "s"} (${input.elapsed()})\n`);
          return 0;
        }
      } catch (err) {
        last = ConnectError.from(err).rawMessage;
      }
      if (now() >= deadline) {
        io.stderr(
          `etcd did not reach ${controlplanes.length} voting members in time (members: ${shown || "none"}${last ? `; last error: ${last}` : ""}): see osctl etcd status\n`,
        );
        return 1;
      }
      await sleep(2000);
    }
  });
}
