// Would removing a member (leave, remove-member, a graceful reset) cost the etcd cluster its quorum? A
// cluster of n voting members needs floor(n/2)+1 of them healthy; a removal is refused (unless forced)
// when the healthy voters left would be fewer than the quorum of the voters left, or when it would
// remove the last voting member. An upgrade takes a member away for a reboot only: it asks, as the
// reference system does, that every other member be started and healthy first.

export interface QuorumMember {
  readonly id: bigint;
  readonly name: string;
  readonly isLearner: boolean;
  /** Answered a status call just now. */
  readonly healthy: boolean;
}

export const quorumOf = (voters: number) => Math.floor(voters / 2) + 1;

/** Undefined when `targetId` can go, else why not. */
export function removalBreaksQuorum(members: readonly QuorumMember[], targetId: bigint): string | undefined {
  const target = members.find((m) => m.id === targetId);
  if (target === undefined || target.isLearner) return undefined;
  const voters = members.filter((m) => !m.isLearner && m.id !== targetId);
  if (voters.length === 0) return `${target.name || "the member"} is the cluster's last voting member`;
  const healthy = voters.filter((m) => m.healthy).length;
  const needed = quorumOf(voters.length);
  if (healthy >= needed) return undefined;
  const down = voters.filter((m) => !m.healthy).map((m) => m.name || m.id.toString(16));
  return `without ${target.name || "the member"}, ${healthy} of ${voters.length} voting members would be healthy and etcd needs ${needed}${down.length > 0 ? ` (not answering: ${down.join(", ")})` : ""}`;
}

/** Undefined when every member but `selfId` is started and answers, else which are not. */
export function othersNotHealthy(members: readonly QuorumMember[], selfId: bigint): string | undefined {
  const down = members.filter((m) => m.id !== selfId && (!m.healthy || m.name === ""));
  if (down.length === 0) return undefined;
  const names = down.map((m) => m.name || `${m.id.toString(16)} (not started)`);
  return `etcd member${down.length > 1 ? "s" : ""} ${names.join(", ")} ${down.length > 1 ? "are" : "is"} not healthy, and this node's member goes away while it reboots: every member must be healthy first`;
}
