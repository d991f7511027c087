// Cluster membership: list, add (as a voting member or a learner), remove, promote. Changes are
// sent to another member only when the first never received them (a change is not idempotent).

import type { Attempt, CallOptions, Connection } from "./connection.ts";
import { type EtcdMember, formatMemberId, parseMemberId, toMember } from "./convert.ts";
import { EtcdError } from "./errors.ts";
import { Cluster, type Member } from "./gen/etcd/etcdserver/etcdserverpb/rpc_pb.ts";

export interface MemberAddResult {
  /** The new member (no name and no client URLs until it has started). */
  member: EtcdMember;
  /** Every member after the change, the new one included. */
  members: EtcdMember[];
}

export interface MemberAddOptions extends CallOptions {
  /** Add as a learner (a non-voting member, promoted with memberPromote once in sync). */
  learner?: boolean;
}

export async function memberList(conn: Connection, options?: CallOptions): Promise<EtcdMember[]> {
  const r = await conn.call("memberList", options, (a) => a.client(Cluster).memberList({}, a.options), {
    idempotent: true,
  });
  return r.members.map(toMember);
}

export async function memberAdd(
  conn: Connection,
  peerUrls: string[],
  options: MemberAddOptions = {},
): Promise<MemberAddResult> {
  const op = `memberAdd ${peerUrls.join(",")}${options.learner ? " (learner)" : ""}`;
  if (peerUrls.length === 0) throw new EtcdError("InvalidArgument", op, "no peer URLs given");
  for (const u of peerUrls)
    if (!URL.canParse(u))
      throw new EtcdError("InvalidArgument", op, `peer URL ${JSON.stringify(u)} is not a URL`);
  const r = await conn.call(op, options, (a) =>
    a.client(Cluster).memberAdd({ peerURLs: peerUrls, isLearner: options.learner ?? false }, a.options),
  );
  if (!r.member) throw new EtcdError("Internal", op, "etcd's answer names no member");
  return { member: toMember(r.member), members: r.members.map(toMember) };
}

/** A change of one existing member (remove, promote): its id checked, named in the operation. */
async function changeMember(
  conn: Connection,
  name: string,
  id: bigint | string,
  options: CallOptions | undefined,
  send: (attempt: Attempt, memberId: bigint) => Promise<{ members: Member[] }>,
): Promise<EtcdMember[]> {
  const memberId = parseMemberId(name, id);
  const r = await conn.call(`${name} ${formatMemberId(memberId)}`, options, (a) => send(a, memberId));
  return r.members.map(toMember);
}

/** Removes a member; returns the members left. */
export function memberRemove(
  conn: Connection,
  id: bigint | string,
  options?: CallOptions,
): Promise<EtcdMember[]> {
  return changeMember(conn, "memberRemove", id, options, (a, ID) =>
    a.client(Cluster).memberRemove({ ID }, a.options),
  );
}

/**
 * Promotes a learner to a voting member; etcd refuses (LearnerNotReady) until the learner's log is
 * within 90 % of the leader's. Returns every member after the change.
 */
export function memberPromote(
  conn: Connection,
  id: bigint | string,
  options?: CallOptions,
): Promise<EtcdMember[]> {
  return changeMember(conn, "memberPromote", id, options, (a, ID) =>
    a.client(Cluster).memberPromote({ ID }, a.options),
  );
}
