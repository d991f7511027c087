// How a control plane joins an existing etcd cluster by itself (as Talos's do): it asks a running member
// for the member list, takes out a stale entry of its own (a member of its name or peer URL that
// started before: its data is gone, so that member can never come back), adds itself as a learner
// (etcd 3.4: a learner receives the log but does not vote, so a slow join cannot cost quorum), starts
// etcd with --initial-cluster-state=existing, and is promoted to a voting member once in sync.
// An entry added earlier that never started (the node died between add and start) is reused.

/** A member as the etcd API lists it. */
export interface EtcdMember {
  readonly id: bigint;
  /** Empty until the member has started and announced itself. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** The membership calls joining needs (@bronze/etcd-client's EtcdClient has them). */
export interface EtcdMembership {
  memberList(): Promise<readonly EtcdMember[]>;
  memberAdd(peerUrls: readonly string[], options: { learner: boolean }): Promise<{ member: EtcdMember }>;
  memberRemove(id: bigint): Promise<unknown>;
  memberPromote(id: bigint): Promise<unknown>;
}

export interface JoiningMember {
  readonly name: string;
  readonly peerUrl: string;
}

export interface JoinPlan {
  readonly memberId: bigint;
  /** etcd's --initial-cluster: every started member and this one, `name=peerURL,…`. */
  readonly initialCluster: string;
  /** What was done, in words (the log, `osctl etcd status`). */
  readonly steps: readonly string[];
}

export const idHex = (id: bigint) => id.toString(16);

/**
 * Registers `self` in the cluster `client` reaches, as a learner. Its data directory must be empty:
 * a node with data restarts with it and does not join. Each step is logged as it is done (a later
 * step may fail: etcd refuses changes for 5 s after a member went away, and the caller retries).
 */
export async function joinCluster(
  client: EtcdMembership,
  self: JoiningMember,
  log: (step: string) => void = () => {},
): Promise<JoinPlan> {
  const steps: string[] = [];
  const step = (line: string) => {
    steps.push(line);
    log(line);
  };
  let members = await client.memberList();
  let mine: EtcdMember | undefined;
  for (const m of members) {
    const samePeer = m.peerUrls.includes(self.peerUrl);
    if (m.name !== self.name && !samePeer) continue;
    if (m.name === "" && samePeer && mine === undefined) {
      mine = m;
      step(`member ${idHex(m.id)} was added for ${self.peerUrl} and never started: reusing it`);
      continue;
    }
    // another node's member at our peer URL: two nodes advertise one address; removing it would be
    // removing a live member
    if (m.name !== "" && m.name !== self.name)
      throw new Error(
        `member ${m.name} (${idHex(m.id)}) already uses ${self.peerUrl}: this node advertises another node's address`,
      );
    await client.memberRemove(m.id);
    step(
      `removed stale member ${idHex(m.id)} (${m.name || "unstarted"}, ${m.peerUrls.join(" ")}): this node's etcd data is gone`,
    );
  }
  if (mine === undefined) {
    mine = (await client.memberAdd([self.peerUrl], { learner: true })).member;
    step(`added as learner ${idHex(mine.id)} (${self.peerUrl})`);
  }
  members = await client.memberList();
  const cluster = members
    .filter((m) => m.id !== mine.id && m.name !== "")
    .flatMap((m) => m.peerUrls.map((url) => `${m.name}=${url}`));
  cluster.push(`${self.name}=${self.peerUrl}`);
  return { memberId: mine.id, initialCluster: cluster.join(","), steps };
}

/** etcd's refusals that mean "not yet": the learner is still catching up, or the cluster is busy. */
const NOT_YET = [
  /in sync with leader/i,
  /learner.*not ready/i,
  /too many requests/i,
  /unhealthy cluster/i,
  /leader changed/i,
];

export class MemberGoneError extends Error {
  override readonly name = "MemberGoneError";
}

export interface PromoteOptions {
  readonly sleep: (ms: number) => Promise<unknown>;
  readonly now: () => number;
  /** Give up after this long (default: never; the caller's signal ends it). */
  readonly timeoutMs?: number;
  /** Between tries while etcd says "not yet" (default 1 s). */
  readonly intervalMs?: number;
  /** Other failures (a deadline under load, a leader election) back off to this (default 30 s). */
  readonly maxIntervalMs?: number;
  readonly signal?: AbortSignal;
  /** Each failed try, in words (the controller's status). */
  readonly onRetry?: (why: string) => void;
}

/**
 * Promotes learner `id` once etcd accepts it (in sync with the leader). Returns true when it is a
 * voting member (also when it already was), false on timeout or abort. Every failure but the member's
 * removal is retried: etcd refuses until the learner caught up, and calls time out on a loaded node.
 */
export async function promoteWhenInSync(
  client: EtcdMembership,
  id: bigint,
  options: PromoteOptions,
): Promise<boolean> {
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : options.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 1000;
  let wait = interval;
  for (;;) {
    if (options.signal?.aborted) return false;
    try {
      const me = (await client.memberList()).find((m) => m.id === id);
      if (me === undefined) throw new MemberGoneError(`member ${idHex(id)} is no longer in the cluster`);
      if (!me.isLearner) return true;
      await client.memberPromote(id);
      return true;
    } catch (err) {
      if (err instanceof MemberGoneError) throw err;
      const text = err instanceof Error ? err.message : String(err);
      options.onRetry?.(text);
      wait = NOT_YET.some((re) => re.test(text))
        ? interval
        : Math.min(wait * 2, options.maxIntervalMs ?? 30_000);
    }
    if (options.now() >= deadline) return false;
    await options.sleep(wait);
  }
}
