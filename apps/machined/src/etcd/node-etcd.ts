// A control plane's etcd as machined holds it: the services (etcd-pki, etcd), the controller deciding
// how etcd starts, and the operations the API offers (bootstrap, members, status, snapshot, leave,
// remove-member, forfeit-leadership, defragment, alarms), each through @bronze/etcd-client with
// machined's own etcd client certificate. Membership changes that would cost quorum are refused unless
// forced (etcd-quorum.ts).
import { rmSync } from "node:fs";
import type { NetworkInterfaceInfo } from "node:os";
import { join } from "node:path";
import { BUILTIN_ETCD_IMAGE } from "@bronze/api";
import type { MachineConfig } from "@bronze/config-schema";
import {
  type EtcdAlarm,
  EtcdClient,
  EtcdError,
  type EtcdMember,
  type EtcdStatus,
  formatMemberId,
} from "@bronze/etcd-client";
import { interfaceAddresses } from "../certificates/node-sans.ts";
import type { Clock } from "../clock.ts";
import { type SystemContainerDeps, secretsDir } from "../services/system-containers.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";
import { type EtcdConnection, EtcdController } from "./etcd-controller.ts";
import { EtcdOperationError } from "./etcd-errors.ts";
import { ETCD_PKI_SERVICE_ID, type EtcdClientTls, etcdPkiService } from "./etcd-pki.ts";
import { othersNotHealthy, removalBreaksQuorum } from "./etcd-quorum.ts";
import { EtcdRecovery } from "./etcd-recovery.ts";
import { ETCD_CLIENT_PORT, ETCD_SERVICE_ID, ETCD_USER, etcdClientUrl, etcdService } from "./etcd-service.ts";

export interface NodeEtcdDeps {
  readonly containers: SystemContainerDeps;
  readonly config: () => MachineConfig | undefined;
  readonly hostname: () => string;
  /** The node's network interfaces (os.networkInterfaces()): its addresses, and the one to advertise. */
  readonly interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** /var is a tmpfs (diskless node): etcd's data is lost at reboot. */
  readonly diskless: boolean;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  /** Stops a service (leave stops etcd). */
  readonly stopService: (id: string) => Promise<void>;
  /** Default etcd's /usr/bin/etcd. */
  readonly binary?: string;
}

const ipv4 = (address: string): number | undefined => {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
};

/** Whether IPv4 `address` is inside `cidr` (`10.5.0.2/24`); IPv6 is not compared (false). */
export function inSubnet(address: string, cidr: string): boolean {
  const [base = "", bits = ""] = cidr.split("/");
  const a = ipv4(address);
  const b = ipv4(base);
  const n = Number(bits);
  if (a === undefined || b === undefined || !Number.isInteger(n) || n < 0 || n > 32) return false;
  const size = 2 ** (32 - n);
  return Math.floor(a / size) === Math.floor(b / size);
}

/**
 * The address etcd advertises to the other members: the control plane endpoint's own address when
 * this node is the endpoint, else this node's address in the endpoint's subnet, else its first IPv4
 * one. (Not simply the first: every QEMU node has 10.0.2.15 on its user-mode NIC, and two members
 * advertising one address would collide.)
 */
export function advertisedAddress(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  endpointHost?: string,
): string | undefined {
  const infos = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => !i.internal && !(i.family === "IPv6" && /^fe80:/i.test(i.address)));
  if (endpointHost !== undefined) {
    const exact = infos.find((i) => i.address === endpointHost);
    if (exact !== undefined) return exact.address;
    const near = infos.find((i) => i.cidr !== null && inSubnet(endpointHost, i.cidr));
    if (near !== undefined) return near.address;
  }
  return (infos.find((i) => i.family === "IPv4") ?? infos[0])?.address;
}

/** The control plane endpoint's host (cluster.controlPlane.endpoint), without brackets. */
export function endpointHostOf(config: MachineConfig | undefined): string | undefined {
  const endpoint = config?.cluster?.controlPlane?.endpoint;
  if (endpoint === undefined) return undefined;
  try {
    const host = new URL(endpoint).hostname.replace(/^\[(.*)\]$/, "$1");
    return host === "" ? undefined : host;
  } catch {
    return undefined;
  }
}

/**
 * Why `cluster.etcd.image` is not what runs, when it names another image than the root filesystem's
 * etcd (undefined when it is that one, or unset).
 */
export function etcdImageNote(config: MachineConfig | undefined): string | undefined {
  const image = config?.cluster?.etcd?.image;
  if (image === undefined || image === BUILTIN_ETCD_IMAGE) return undefined;
  return `cluster.etcd.image ${image} is not run: this release runs the root filesystem's etcd (${BUILTIN_ETCD_IMAGE}) and pulls no etcd image yet`;
}

/** The etcd client URLs of the control plane endpoint (cluster.controlPlane.endpoint's host, 2379). */
export function joinEndpointsOf(config: MachineConfig | undefined): string[] {
  const host = endpointHostOf(config);
  return host === undefined ? [] : [etcdClientUrl(host)];
}

const LOCAL = `https://127.0.0.1:${ETCD_CLIENT_PORT}`;

/** The membership calls of the join (etcd-join.ts) over a client (a wrapper: the client is not changed). */
export function membershipOf(client: EtcdClient): EtcdConnection {
  return {
    memberList: () => client.memberList(),
    memberAdd: (peerUrls, options) => client.memberAdd([...peerUrls], options),
    memberRemove: (id) => client.memberRemove(id),
    memberPromote: (id) => client.memberPromote(id),
    close: () => client.close(),
  };
}

export class NodeEtcd {
  readonly controller: EtcdController;
  readonly dataDir: string;
  readonly recovery: EtcdRecovery;
  readonly #deps: NodeEtcdDeps;
  #tls: EtcdClientTls | undefined;

  constructor(deps: NodeEtcdDeps) {
    this.#deps = deps;
    this.dataDir = join(deps.containers.paths.var, "lib", "etcd");
    this.recovery = new EtcdRecovery({
      dir: join(deps.containers.paths.var, "lib", "etcd-recover"),
      owner: { uid: ETCD_USER.uid, gid: ETCD_USER.gid },
    });
    this.controller = new EtcdController({
      name: deps.hostname,
      address: () => this.#address(),
      dataDir: this.dataDir,
      joinEndpoints: () => joinEndpointsOf(deps.config()),
      connect: async (endpoints) => membershipOf(await this.#connect(endpoints)),
      clock: deps.clock,
      log: deps.log,
    });
  }

  #address(): string | undefined {
    return advertisedAddress(this.#deps.interfaces(), endpointHostOf(this.#deps.config()));
  }

  /** etcd-pki and etcd, for a control plane's boot. */
  services(): ServiceDefinition[] {
    const deps = this.#deps;
    const note = etcdImageNote(deps.config());
    if (note !== undefined) deps.log(`etcd: ${note}`);
    const etcd = etcdService({
      ...deps.containers,
      dataDir: this.dataDir,
      pkiService: ETCD_PKI_SERVICE_ID,
      ...(deps.binary !== undefined ? { binary: deps.binary } : {}),
      member: () => {
        const start = this.controller.start;
        const address = this.#address();
        if (start === undefined || address === undefined)
          throw new EtcdOperationError("FailedPrecondition", "etcd has no start decided yet");
        return {
          name: deps.hostname(),
          advertiseAddress: address,
          start,
          extraArgs: deps.config()?.cluster?.etcd?.extraArgs ?? {},
        };
      },
    });
    return [
      etcdPkiService({
        dir: secretsDir(deps.containers.paths, "etcd"),
        owner: { uid: ETCD_USER.uid, gid: ETCD_USER.gid },
        config: deps.config,
        identity: () => ({
          hostname: deps.hostname(),
          addresses: interfaceAddresses(deps.interfaces()),
          certSANs: deps.config()?.machine.certSANs ?? [],
        }),
        clock: deps.clock,
        onIssued: (tls) => {
          this.#tls = tls;
        },
      }),
      { ...etcd, condition: this.controller.condition },
    ];
  }

  /** A client with machined's certificate, once etcd-pki has issued it. */
  async #connect(endpoints: readonly string[], timeoutMs = 10_000): Promise<EtcdClient> {
    for (let i = 0; i < 60 && this.#tls === undefined; i++) await this.#deps.clock.sleep(500);
    const tls = this.#tls;
    if (tls === undefined)
      throw new EtcdOperationError(
        "Unavailable",
        "etcd's certificates are not issued yet (service etcd-pki)",
      );
    return await EtcdClient.connect({ endpoints: [...endpoints], tls, timeoutMs });
  }

  /** The local member first, then the control plane endpoint's. */
  async #cluster<T>(run: (client: EtcdClient) => Promise<T>): Promise<T> {
    const endpoints = [LOCAL, ...joinEndpointsOf(this.#deps.config()).filter((e) => e !== LOCAL)];
    const client = await this.#connect(endpoints).catch((err: unknown) => {
      throw this.#unavailable(err);
    });
    try {
      return await run(client);
    } finally {
      client.close();
    }
  }

  #unavailable(err: unknown): Error {
    if (!(err instanceof EtcdError) || err.code !== "Unavailable") return err as Error;
    return new EtcdOperationError(
      "Unavailable",
      `etcd does not answer on this node (${this.controller.status}): ${err.message}`,
    );
  }

  /** `osctl bootstrap`; with `recover`, on the snapshot uploaded beforehand (`--recover-from`). */
  bootstrap(recover = false): Promise<void> {
    if (!recover) return this.controller.bootstrap();
    // the controller's refusals first (already bootstrapped, data here, a cluster at the endpoint)
    return this.controller.bootstrap((dataDir) => this.recovery.restoreInto(dataDir));
  }

  /** One part of the snapshot for `bootstrap --recover-from`. */
  recoverUpload(offset: bigint, data: Uint8Array, last: boolean): Promise<{ size: bigint; sha256: string }> {
    return this.recovery.upload(offset, data, last);
  }

  members(): Promise<EtcdMember[]> {
    return this.#cluster((c) => c.memberList());
  }

  /** The controller's state and, when etcd answers, the local member's status. */
  async status(): Promise<{ state: string; storage: string; status?: EtcdStatus }> {
    const storage = this.#deps.diskless
      ? "tmpfs (a diskless node: etcd's data is lost at reboot)"
      : "EPHEMERAL (/var/lib/etcd)";
    const note = etcdImageNote(this.#deps.config());
    const state = note === undefined ? this.controller.status : `${this.controller.status}; ${note}`;
    if (this.controller.start === undefined) return { state, storage };
    try {
      return { state, storage, status: await this.#cluster((c) => c.status(LOCAL)) };
    } catch (err) {
      return { state: `${state}; not answering: ${(err as Error).message}`, storage };
    }
  }

  snapshot(signal: AbortSignal): AsyncIterable<Uint8Array> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const client = await self.#connect([LOCAL]).catch((err: unknown) => {
          throw self.#unavailable(err);
        });
        try {
          yield* client.snapshot({ signal, endpoint: LOCAL });
        } finally {
          client.close();
        }
      },
    };
  }

  /** Members with whether each answers now (for the quorum check). */
  async #health(client: EtcdClient, members: readonly EtcdMember[]) {
    return await Promise.all(
      members.map(async (m) => ({
        id: m.id,
        name: m.name,
        isLearner: m.isLearner,
        healthy:
          m.clientUrls.length > 0 &&
          (await client.status(m.clientUrls[0], { timeoutMs: 3000 }).then(
            () => true,
            () => false,
          )),
      })),
    );
  }

  async #remove(client: EtcdClient, target: EtcdMember, force: boolean, overrule: string): Promise<void> {
    const members = await client.memberList();
    const breaks = removalBreaksQuorum(await this.#health(client, members), target.id);
    if (breaks !== undefined && !force)
      throw new EtcdOperationError("FailedPrecondition", `${breaks} (${overrule})`);
    await client.memberRemove(target.id);
  }

  /**
   * `osctl etcd leave`: this member leaves the cluster; etcd stops and its data goes. `overrule` is how
   * the caller gets past a quorum refusal.
   */
  async leave(force: boolean, overrule = "--force to do it anyway"): Promise<void> {
    const status = await this.#cluster((c) => c.status(LOCAL));
    await this.#cluster(async (client) => {
      const me = (await client.memberList()).find((m) => m.id === status.memberId);
      if (me === undefined)
        throw new EtcdOperationError("NotFound", "this node is not a member of the cluster");
      await this.#remove(client, me, force, overrule);
    });
    await this.#deps.stopService(ETCD_SERVICE_ID);
    rmSync(join(this.dataDir, "member"), { recursive: true, force: true });
    this.controller.left();
  }

  /** `osctl etcd remove-member <id|hostname>`. */
  async removeMember(member: string, force: boolean): Promise<void> {
    await this.#cluster(async (client) => {
      const members = await client.memberList();
      const wanted = member.trim().toLowerCase();
      const target = members.find((m) => formatMemberId(m.id) === wanted || m.name === member.trim());
      if (target === undefined)
        throw new EtcdOperationError(
          "NotFound",
          `no member ${JSON.stringify(member)}: the members are ${members.map((m) => `${m.name || "unstarted"} (${formatMemberId(m.id)})`).join(", ")}`,
        );
      await this.#remove(client, target, force, "--force to do it anyway");
    });
  }

  /** Whether this node runs (or runs up) an etcd member: bootstrapped, joined, or on its data. */
  #running(): boolean {
    return this.controller.start !== undefined;
  }

  /**
   * Before an upgrade's reboot: refused while another member is not healthy (unless --force). A member
   * that does not answer here (etcd still starting, or down) is no part of the quorum now: its reboot
   * takes nothing away, and the upgrade goes on.
   */
  async checkBeforeReboot(): Promise<void> {
    if (!this.#running()) return;
    const silent = (err: unknown) => {
      this.#deps.log(
        `etcd: the upgrade goes on: this node's member does not answer, so its reboot takes nothing from the cluster (${err instanceof Error ? err.message : String(err)})`,
      );
      return undefined;
    };
    const client = await this.#connect([LOCAL, ...joinEndpointsOf(this.#deps.config())], 5000).catch(silent);
    if (client === undefined) return;
    try {
      const local = await client.status(LOCAL, { timeoutMs: 3000 }).catch(silent);
      if (local === undefined) return;
      const self = local.memberId;
      const problem = othersNotHealthy(await this.#health(client, await client.memberList()), self);
      if (problem !== undefined)
        throw new EtcdOperationError("FailedPrecondition", `${problem} (--force to upgrade anyway)`);
    } finally {
      client.close();
    }
  }

  /**
   * A graceful reset leaves etcd first: refused when that would cost the quorum. Forced, the member is
   * removed even then, and when etcd refuses even that (its last member), the reset goes on anyway.
   */
  async leaveBeforeReset(force: boolean): Promise<void> {
    if (!this.#running()) return;
    const overrule = "--force resets anyway, --graceful=false resets without leaving etcd";
    try {
      await this.leave(force, overrule);
    } catch (err) {
      // etcd not answering, say: the way past it is the same
      if (!force && err instanceof EtcdOperationError && !err.message.includes(overrule))
        throw new EtcdOperationError(err.code, `${err.message} (${overrule})`);
      if (!force) throw err;
      this.#deps.log(
        `etcd: the reset goes on (--force) without leaving etcd: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** Moves the leadership to another started voting member when this one leads; the new leader's id. */
  async forfeitLeadership(): Promise<bigint> {
    return await this.#cluster(async (client) => {
      const status = await client.status(LOCAL);
      if (status.leader !== status.memberId) return 0n;
      const next = (await client.memberList()).find(
        (m) => m.id !== status.memberId && !m.isLearner && m.name !== "",
      );
      if (next === undefined)
        throw new EtcdOperationError(
          "FailedPrecondition",
          "no other voting member to hand the leadership to",
        );
      await client.moveLeader(next.id);
      return next.id;
    });
  }

  async defragment(): Promise<{ before: number; after: number }> {
    return await this.#cluster(async (client) => {
      const before = (await client.status(LOCAL)).dbSize;
      await client.defragment(LOCAL);
      return { before, after: (await client.status(LOCAL)).dbSize };
    });
  }

  alarms(): Promise<EtcdAlarm[]> {
    return this.#cluster((c) => c.alarmList());
  }

  disarm(): Promise<EtcdAlarm[]> {
    return this.#cluster((c) => c.alarmDisarmAll());
  }
}
