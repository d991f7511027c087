// Decides how a control plane's etcd starts, and when (etcd-service.ts runs it):
//   - the data directory holds a member: etcd restarts on it, at once;
//   - `osctl bootstrap` (once per cluster): a new one-member cluster, refused when this node's etcd
//     already runs or has data, or when the control plane endpoint's etcd answers with members;
//   - otherwise the node keeps trying to join the cluster at the control plane endpoint's etcd
//     (etcd-join.ts: learner, then promoted), every few seconds, saying why it waits.
// The etcd service waits on `condition` until one of these has decided its EtcdStart.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import type { Condition } from "../supervisor/condition.ts";
import { type EtcdMembership, idHex, joinCluster, MemberGoneError, promoteWhenInSync } from "./etcd-join.ts";
import { type EtcdStart, etcdClientUrl, etcdPeerUrl } from "./etcd-service.ts";

export interface EtcdConnection extends EtcdMembership {
  close(): void;
}

export class EtcdBootstrapError extends Error {
  override readonly name = "EtcdBootstrapError";
  constructor(
    readonly code: "FailedPrecondition" | "AlreadyExists" | "Unavailable",
    message: string,
  ) {
    super(message);
  }
}

export interface EtcdControllerDeps {
  /** The member's name (the node's hostname). */
  readonly name: () => string;
  /** The address other members reach this one at; undefined while the node has none. */
  readonly address: () => string | undefined;
  /** Host path of /var/lib/etcd. */
  readonly dataDir: string;
  /** The etcd client URLs of the cluster to join (the control plane endpoint's host, port 2379). */
  readonly joinEndpoints: () => readonly string[];
  /** A client to `endpoints` with machined's etcd certificate (waits for it to be issued). */
  readonly connect: (endpoints: readonly string[]) => Promise<EtcdConnection>;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  /** Between join attempts (default 5 s). */
  readonly retryMs?: number;
}

/** A member's data is there: etcd 3.4 keeps it under member/ (snap and wal). */
export function hasEtcdData(dataDir: string): boolean {
  return existsSync(join(dataDir, "member"));
}

export class EtcdController {
  readonly #deps: EtcdControllerDeps;
  #start: EtcdStart | undefined;
  #decided: (() => void) | undefined;
  #decidedPromise: Promise<void>;
  #running = false;
  /** The last member count seen at the join endpoints (logged when it changes). */
  #status = "";
  /** What etcd is doing or waiting for, in words (`osctl etcd status`, the service's message). */
  status = "not started";

  constructor(deps: EtcdControllerDeps) {
    this.#deps = deps;
    this.#decidedPromise = this.#undecided();
  }

  #undecided(): Promise<void> {
    return new Promise((resolve) => {
      this.#decided = resolve;
    });
  }

  /** After `osctl etcd leave` (etcd stopped, its data gone): nothing is decided until the next boot. */
  left(): void {
    this.#start = undefined;
    this.#decidedPromise = this.#undecided();
    this.status =
      "left the cluster (osctl etcd leave): etcd stopped, its data removed; the node joins again at its next boot";
    this.#deps.log(`etcd: ${this.status}`);
  }

  /** How etcd starts, once decided. */
  get start(): EtcdStart | undefined {
    return this.#start;
  }

  /** The etcd service's condition: holds once the start is decided. */
  readonly condition: Condition = {
    description: "etcd bootstrapped (osctl bootstrap) or joined to the cluster",
    wait: async (signal) => {
      // the decision (and a joined learner's promotion) runs as long as the etcd service lives
      if (this.#start === undefined) void this.run(signal);
      if (this.#start !== undefined) return true;
      await Promise.race([
        this.#decidedPromise,
        new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true })),
      ]);
      return this.#start !== undefined;
    },
  };

  #decide(start: EtcdStart, status: string): void {
    this.#start = start;
    this.status = status;
    this.#deps.log(`etcd: ${status}`);
    this.#decided?.();
  }

  /**
   * Runs until the start is decided: at once on existing data, else join attempts every few seconds
   * until one succeeds, bootstrap() decides, or `signal` aborts. After a join, promotes the learner.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#run(signal);
    } finally {
      this.#running = false;
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const deps = this.#deps;
    if (hasEtcdData(deps.dataDir)) {
      this.#decide({ state: "restart" }, "restarting on its data");
      await this.#promote(undefined, signal);
      return;
    }
    this.status = "waiting: no etcd data; bootstrap the cluster (osctl bootstrap) or wait to join it";
    while (!signal.aborted && this.#start === undefined) {
      const before = this.status;
      const joined = await this.#tryJoin().catch((err: unknown) => {
        if (this.#start === undefined)
          this.status = `waiting to join: ${err instanceof Error ? err.message : String(err)}`;
        return undefined;
      });
      // each new reason to wait is logged once (the same refusal every 5 s is not)
      if (this.#start === undefined && this.status !== before) deps.log(`etcd: ${this.status}`);
      if (joined !== undefined) {
        await this.#promote(joined, signal);
        return;
      }
      if (this.#start !== undefined) return;
      if (!(await deps.clock.sleep(deps.retryMs ?? 5000, signal))) return;
    }
  }

  /** One join attempt: the member id when joined, undefined when there is nothing to join yet. */
  async #tryJoin(): Promise<bigint | undefined> {
    const deps = this.#deps;
    const address = deps.address();
    if (address === undefined) throw new Error("the node has no address yet");
    const endpoints = this.#others(address);
    if (endpoints.length === 0) {
      this.status =
        "waiting for bootstrap: this node is the control plane endpoint and has no etcd data (osctl bootstrap)";
      return undefined;
    }
    const client = await deps.connect(endpoints);
    try {
      const members = await client.memberList();
      if (this.#status !== `cluster at ${endpoints.join(", ")}: ${members.length} member(s)`) {
        this.#status = `cluster at ${endpoints.join(", ")}: ${members.length} member(s)`;
        deps.log(`etcd: ${this.#status}`);
      }
      if (members.length === 0) return undefined;
      if (this.#start !== undefined) return undefined; // bootstrapped meanwhile
      const plan = await joinCluster(client, { name: deps.name(), peerUrl: etcdPeerUrl(address) }, (step) =>
        deps.log(`etcd: ${step}`),
      );
      this.#decide(
        { state: "existing", initialCluster: plan.initialCluster },
        `joining the cluster at ${endpoints.join(", ")} as learner ${idHex(plan.memberId)}`,
      );
      return plan.memberId;
    } finally {
      client.close();
    }
  }

  /**
   * Makes this member a voting one: the learner just added (`id`), or, on a restart, whatever member
   * of this node's name the cluster lists. Retried while the etcd service lives: a learner left
   * unpromoted would stay one (a restart on its data does not join again).
   */
  async #promote(id: bigint | undefined, signal: AbortSignal): Promise<void> {
    const deps = this.#deps;
    while (!signal.aborted) {
      let client: EtcdConnection | undefined;
      try {
        const address = deps.address() ?? "";
        client = await deps.connect([...this.#others(address), etcdClientUrl(address)]);
        const mine = id ?? (await client.memberList()).find((m) => m.name === deps.name())?.id;
        if (mine === undefined) return; // not a member (yet, or any more): nothing to promote
        const promoted = await promoteWhenInSync(client, mine, {
          sleep: (ms) => deps.clock.sleep(ms, signal),
          now: () => deps.clock.monotonic(),
          signal,
          onRetry: (why) => {
            this.status = `member ${idHex(mine)}: a learner, not promoted yet: ${why}`;
          },
        });
        if (promoted && id !== undefined) {
          this.status = `member ${idHex(mine)}: promoted to a voting member`;
          deps.log(`etcd: ${this.status}`);
        }
        return;
      } catch (err) {
        if (err instanceof MemberGoneError) {
          this.status = `removed from the cluster while a learner: ${err.message}`;
          deps.log(`etcd: ${this.status}`);
          return;
        }
        // etcd not up yet, or unreachable: try again
      } finally {
        client?.close();
      }
      if (!(await deps.clock.sleep(deps.retryMs ?? 5000, signal))) return;
    }
  }

  /** The join endpoints that are not this node. */
  #others(address: string): string[] {
    const self = etcdClientUrl(address);
    return this.#deps.joinEndpoints().filter((e) => e !== self);
  }

  /**
   * `osctl bootstrap`: founds a new cluster of this one member, or says why not. With `recover`
   * (`--recover-from`), the member starts on the database `recover` writes into the data directory once
   * the refusals are passed; it returns what to say of it.
   */
  async bootstrap(recover?: (dataDir: string) => Promise<string>): Promise<void> {
    const deps = this.#deps;
    if (this.#start !== undefined)
      throw new EtcdBootstrapError(
        "AlreadyExists",
        `etcd is already ${this.#start.state === "existing" ? "joined to a cluster" : this.#start.state === "new" ? "bootstrapped" : "running on its data"} on this node: bootstrap is done once per cluster`,
      );
    if (hasEtcdData(deps.dataDir))
      throw new EtcdBootstrapError(
        "AlreadyExists",
        "this node holds etcd data (it is a member of a cluster): bootstrap is done once per cluster",
      );
    const address = deps.address();
    if (address === undefined)
      throw new EtcdBootstrapError(
        "Unavailable",
        "the node has no address yet: try again once its network is up",
      );
    const others = this.#others(address);
    if (others.length > 0) {
      let members: readonly { name: string }[] = [];
      try {
        const client = await deps.connect(others);
        try {
          members = await client.memberList();
        } finally {
          client.close();
        }
      } catch {
        // nothing answers there: this node founds the cluster
      }
      if (members.length > 0)
        throw new EtcdBootstrapError(
          "AlreadyExists",
          `the cluster at ${others.join(", ")} already has etcd (members ${members.map((m) => m.name || "unstarted").join(", ")}): this node joins it by itself`,
        );
    }
    const restored = await recover?.(deps.dataDir);
    this.#decide(
      { state: "new", initialCluster: `${deps.name()}=${etcdPeerUrl(address)}` },
      restored === undefined
        ? "bootstrapped: a new cluster of one member"
        : `bootstrapped from a snapshot (${restored}): a new cluster of one member holding its data`,
    );
  }
}
