// `osctl health`'s etcd checks on the control planes, as `talosctl health` makes them: every member
// started and voting, every member on a checked node answering, one leader that all agree on, no
// errors and no alarms. `etcdProblem` judges the answers; `etcdGatherer` asks the nodes for them.
import { type EtcdMember, type EtcdStatusResponse, NODE_HEADER, type ServiceInfo } from "@bronze/api";
import { fanOut, succeeded } from "../client/fan-out.ts";
import type { NodeSession } from "../client/node-client.ts";
import { describeError } from "../client/node-error.ts";

export const ETCD_SERVICE_ID = "etcd";

const hex = (id: bigint) => id.toString(16);

export type Answer<T> = { value: T } | { error: string };

export interface EtcdAlarmInfo {
  memberId: bigint;
  alarm: string;
}

export interface EtcdNodeAnswer {
  node: string;
  /** The node's EtcdStatus, or why the call failed. */
  status: Answer<EtcdStatusResponse>;
  /** The node's hostname, asked only when its etcd gave no member id: which member is missing. */
  hostname?: string;
}

export interface EtcdHealthInput {
  /** The checked nodes that run etcd (already healthy ones included), each with its EtcdStatus. */
  nodes: EtcdNodeAnswer[];
  /** EtcdMembers as one of them answered. */
  members: Answer<EtcdMember[]>;
  /** EtcdAlarmList as one of them answered. */
  alarms: Answer<EtcdAlarmInfo[]>;
}

/**
 * Whether a node's etcd is to be checked: its ServiceList has etcd, and etcd is among the services
 * waited for (by default every service not skipped or finished; with --services, only when named).
 */
export function runsEtcd(services: ServiceInfo[], wanted: string[]): boolean {
  const etcd = services.find((s) => s.id === ETCD_SERVICE_ID);
  if (!etcd) return false;
  return wanted.length
    ? wanted.includes(ETCD_SERVICE_ID)
    : etcd.state !== "Skipped" && etcd.state !== "Finished";
}

/** The member id of a node whose etcd answers, else undefined. */
function answeringId(n: EtcdNodeAnswer): bigint | undefined {
  return "value" in n.status && n.status.value.memberId !== 0n ? n.status.value.memberId : undefined;
}

/** Why a silent node's etcd does not answer: the call's error or the state it reports. */
function silence(n: EtcdNodeAnswer): string {
  return "error" in n.status ? n.status.error : n.status.value.state || "no member id";
}

/** What is wrong with the etcd cluster, or undefined when every check passes (or no node runs etcd). */
export function etcdProblem(input: EtcdHealthInput): string | undefined {
  if (input.nodes.length === 0) return undefined;
  const problems: string[] = [];
  const members = "value" in input.members ? input.members.value : undefined;
  const byId = new Map((members ?? []).map((m) => [m.id, m]));
  const name = (id: bigint) => {
    const hostname = byId.get(id)?.hostname;
    return hostname ? `${hostname} (${hex(id)})` : hex(id);
  };
  const answering = input.nodes.flatMap((n) => {
    const id = answeringId(n);
    return id === undefined || !("value" in n.status) ? [] : [{ node: n.node, id, status: n.status.value }];
  });
  const silent = input.nodes.filter((n) => answeringId(n) === undefined);

  // 1. Every member started and voting.
  if ("error" in input.members) problems.push(`etcd members: ${input.members.error}`);
  else if (input.members.value.length === 0) problems.push("etcd: no members");
  for (const m of members ?? []) {
    if (!m.hostname) problems.push(`etcd member ${hex(m.id)}: not started`);
    else if (m.isLearner) problems.push(`etcd member ${name(m.id)}: a learner, not promoted yet`);
  }

  // 2. Every member on a checked node answers; every checked node's etcd answers as a member.
  const answeringIds = new Set(answering.map((a) => a.id));
  const named = new Set<string>();
  for (const m of members ?? []) {
    if (!m.hostname || answeringIds.has(m.id)) continue;
    const node = silent.find((n) => n.hostname === m.hostname);
    if (!node) continue; // on a node outside the checked ones: started and voting is all we can verify
    named.add(node.node);
    problems.push(`etcd member ${name(m.id)} does not answer: ${silence(node)}`);
  }
  for (const n of silent)
    if (!named.has(n.node)) problems.push(`${n.node}: etcd does not answer: ${silence(n)}`);
  if (members)
    for (const a of answering)
      if (!byId.has(a.id)) problems.push(`${a.node}: etcd member ${hex(a.id)} is not in the member list`);

  // 3. Exactly one leader, the same for every answering member, and one of the members.
  const leaders = new Set(answering.map((a) => a.status.leaderId));
  if (leaders.size > 1) {
    const views = answering.map(
      (a) => `${name(a.id)}: ${a.status.leaderId === 0n ? "none" : name(a.status.leaderId)}`,
    );
    problems.push(`etcd: members disagree on the leader (${views.join(", ")})`);
  } else {
    const [leader] = leaders;
    if (leader === 0n) problems.push("etcd: no leader");
    else if (leader !== undefined && members && !byId.has(leader))
      problems.push(`etcd: no leader (the leader ${hex(leader)} is not a member)`);
  }

  // 4. No errors, no alarms.
  for (const a of answering)
    for (const e of a.status.errors) problems.push(`etcd member ${name(a.id)}: ${e}`);
  if ("error" in input.alarms) problems.push(`etcd alarms: ${input.alarms.error}`);
  else
    for (const a of input.alarms.value) problems.push(`etcd alarm ${a.alarm} on member ${name(a.memberId)}`);

  return problems.length ? problems.join(", ") : undefined;
}

/**
 * Returns what gathers `etcdProblem`'s input from the given etcd nodes: EtcdStatus of each (and the
 * Hostname of a node whose etcd gives no member id, remembered across calls: it tells which member
 * is missing), then EtcdMembers and EtcdAlarmList of one node whose etcd answers (else the first).
 */
export function etcdGatherer(
  session: NodeSession,
): (nodes: string[], timeoutMs: number) => Promise<EtcdHealthInput> {
  const hostnames = new Map<string, string>();
  const failure = (err: unknown, timeoutMs: number) => ({
    error: describeError(err, session.endpoint, timeoutMs),
  });
  return async (nodes, timeoutMs) => {
    // Without -n the one node is the endpoint's own, addressed with no node header.
    const target = { ...session, nodes: session.nodes.length ? nodes : [] };
    const results = await fanOut(target, async (n): Promise<EtcdNodeAnswer> => {
      const call = { headers: n.headers, timeoutMs };
      const status: Answer<EtcdStatusResponse> = await session.client.etcdStatus({}, call).then(
        (value) => ({ value }),
        (err: unknown) => failure(err, timeoutMs),
      );
      const answer: EtcdNodeAnswer = { node: n.node, status };
      if (answeringId(answer) === undefined && !hostnames.has(n.node)) {
        const res = await session.client.hostname({}, call).catch(() => undefined);
        if (res?.hostname) hostnames.set(n.node, res.hostname);
      }
      const hostname = hostnames.get(n.node);
      return hostname === undefined ? answer : { ...answer, hostname };
    });
    const answers = succeeded(results).map((r) => r.value);
    const asked = (answers.find((a) => answeringId(a) !== undefined) ?? answers[0])?.node;
    if (asked === undefined) return { nodes: [], members: { value: [] }, alarms: { value: [] } };
    const call = { headers: session.nodes.length ? { [NODE_HEADER]: asked } : {}, timeoutMs };
    const [members, alarms] = await Promise.all([
      session.client.etcdMembers({}, call).then(
        (res): Answer<EtcdMember[]> => ({ value: res.members }),
        (err: unknown) => failure(err, timeoutMs),
      ),
      session.client.etcdAlarmList({}, call).then(
        (res): Answer<EtcdAlarmInfo[]> => ({ value: res.alarms }),
        (err: unknown) => failure(err, timeoutMs),
      ),
    ]);
    return { nodes: answers, members, alarms };
  };
}
