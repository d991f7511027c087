// A real etcd cluster for tests (this lib's and machined's): Debian's etcd processes on loopback,
// each with its own ports and data directory under one temporary directory, with TLS (client and
// peer certificates from @bronze/pki) or plaintext. Members can be stopped, restarted, and added
// (prepareMember, memberAdd, joinMember); stop() kills every process and removes the directory.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { CertificateAndKey } from "@bronze/pki";
import { freePort, waitFor } from "@bronze/testing";
import { type Subprocess, spawn } from "bun";
import { EtcdClient } from "../client.ts";
import type { EtcdTls } from "../connection.ts";
import { generateTestEtcdPki, type TlsFiles } from "./test-pki.ts";

export interface TestEtcdClusterOptions {
  /** Members started at once as a new cluster (default 1). */
  members?: 1 | 3;
  /** TLS with client certificates, for clients and peers (default true). */
  tls?: boolean;
  /** etcd binary (default Debian's /usr/bin/etcd). */
  binary?: string;
  /** How long a member (or the cluster) may take to come up, in milliseconds (default 30 000). */
  startTimeoutMs?: number;
}

export interface TestEtcdMember {
  readonly name: string;
  /** Its client URL: an endpoint. */
  readonly clientUrl: string;
  /** Its peer URL: what memberAdd takes. */
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logPath: string;
  /** Process id while it runs, else undefined. */
  readonly pid: number | undefined;
}

/** What to run etcdctl against the cluster with. */
export interface EtcdctlSetup {
  /** Environment: ETCDCTL_API=3 (Debian's etcdctl 3.4 still defaults to v2 otherwise). */
  env: Record<string, string>;
  /** Flags before the command: --endpoints, and --cacert/--cert/--key with TLS. */
  flags: string[];
}

export interface EtcdctlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface TestEtcdCluster {
  /** Temporary directory holding everything of this cluster. */
  readonly dir: string;
  /** Every member the harness made, in order (started or not, removed from etcd or not). */
  readonly members: readonly TestEtcdMember[];
  /** Client URLs of the members running now. */
  readonly endpoints: string[];
  /** What a client passes as `tls` (undefined without TLS). */
  readonly tls: EtcdTls | undefined;
  /** The CA that signed the members' and client's certificates (undefined without TLS). */
  readonly ca: CertificateAndKey | undefined;
  /** The client certificate's files, for other tools (undefined without TLS). */
  readonly clientFiles: TlsFiles | undefined;
  member(name: string): TestEtcdMember;
  /** A client of the running members (or of `endpoints`), with this cluster's TLS. */
  connect(options?: { endpoints?: string[]; timeoutMs?: number }): Promise<EtcdClient>;
  /** Name, ports and data directory for a new member, not started: pass its peerUrl to memberAdd. */
  prepareMember(): Promise<TestEtcdMember>;
  /**
   * Starts a prepared (or stopped) member joining the cluster (`--initial-cluster-state existing`) with the
   * members memberAdd returned (its own entry, nameless there, is named after it); resolves once it
   * answers on its client URL.
   */
  joinMember(
    member: TestEtcdMember,
    cluster: readonly { name: string; peerUrls: readonly string[] }[],
  ): Promise<void>;
  /** Stops a member with SIGTERM (SIGKILL with `kill`), keeping its data directory. */
  stopMember(name: string, options?: { kill?: boolean }): Promise<void>;
  /** Starts a stopped member again on its data directory; resolves once it answers. */
  startMember(name: string): Promise<void>;
  /** How to run etcdctl against the running members (or `endpoints`). */
  etcdctlSetup(endpoints?: string[]): EtcdctlSetup;
  /** Runs Debian's etcdctl (v3 API) against the running members (or `endpoints`). */
  etcdctl(args: string[], options?: { endpoints?: string[] }): Promise<EtcdctlResult>;
  /** Kills every member and removes the directory. */
  stop(): Promise<void>;
}

export interface MemberArgsInput {
  name: string;
  dataDir: string;
  clientUrl: string;
  peerUrl: string;
  /** `name=peerUrl` of every member, itself included. */
  initialCluster: string;
  state: "new" | "existing";
  token: string;
  /** The members' certificate files (TLS on client and peer URLs, client certificates required). */
  tls?: TlsFiles;
}

/** etcd's command line for one member. */
export function etcdMemberArgs(m: MemberArgsInput): string[] {
  const args = [
    `--name=${m.name}`,
    `--data-dir=${m.dataDir}`,
    `--listen-client-urls=${m.clientUrl}`,
    `--advertise-client-urls=${m.clientUrl}`,
    `--listen-peer-urls=${m.peerUrl}`,
    `--initial-advertise-peer-urls=${m.peerUrl}`,
    `--initial-cluster=${m.initialCluster}`,
    `--initial-cluster-state=${m.state}`,
    `--initial-cluster-token=${m.token}`,
    "--logger=zap",
    "--log-outputs=stderr",
  ];
  if (m.tls)
    args.push(
      `--cert-file=${m.tls.cert}`,
      `--key-file=${m.tls.key}`,
      `--trusted-ca-file=${m.tls.ca}`,
      "--client-cert-auth",
      `--peer-cert-file=${m.tls.cert}`,
      `--peer-key-file=${m.tls.key}`,
      `--peer-trusted-ca-file=${m.tls.ca}`,
      "--peer-client-cert-auth",
    );
  return args;
}

/** `--initial-cluster` from members (name and peer URLs); nameless ones get `nameFor`'s name. */
export function initialCluster(
  members: readonly { name: string; peerUrls: readonly string[] }[],
  nameFor: (peerUrls: readonly string[]) => string | undefined = () => undefined,
): string {
  return members
    .flatMap((m) => {
      const name = m.name || nameFor(m.peerUrls);
      if (!name) throw new Error(`member with peer URLs ${m.peerUrls.join(",")} has no name`);
      return m.peerUrls.map((u) => `${name}=${u}`);
    })
    .join(",");
}

/** The environment without etcd's own variables (ETCD_*, ETCDCTL_*), which would override flags. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("ETCD_") && !k.startsWith("ETCDCTL_")) env[k] = v;
  return env;
}

function tail(path: string, lines = 15): string {
  return existsSync(path) ? readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "";
}

interface MemberState extends TestEtcdMember {
  args: string[] | undefined;
  proc: Subprocess | undefined;
}

export async function startTestEtcdCluster(options: TestEtcdClusterOptions = {}): Promise<TestEtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), "etcd-"));
  const token = basename(dir);
  const binary = options.binary ?? "/usr/bin/etcd";
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const withTls = options.tls ?? true;
  const scheme = withTls ? "https" : "http";
  const members: MemberState[] = [];
  const ports = new Set<number>();
  const onExit = () => {
    for (const m of members) m.proc?.kill("SIGKILL");
  };
  process.once("exit", onExit);

  async function port(): Promise<number> {
    for (;;) {
      const p = await freePort();
      if (!ports.has(p)) {
        ports.add(p);
        return p;
      }
    }
  }

  async function newMember(): Promise<MemberState> {
    const name = `m${members.length}`;
    const [client, peer] = [await port(), await port()];
    const m: MemberState = {
      name,
      clientUrl: `${scheme}://127.0.0.1:${client}`,
      peerUrl: `${scheme}://127.0.0.1:${peer}`,
      dataDir: join(dir, name),
      logPath: join(dir, `${name}.log`),
      get pid() {
        return this.proc?.pid;
      },
      args: undefined,
      proc: undefined,
    };
    members.push(m);
    return m;
  }

  function find(name: string): MemberState {
    const m = members.find((x) => x.name === name);
    if (!m)
      throw new Error(`test etcd: no member ${name} (members: ${members.map((x) => x.name).join(", ")})`);
    return m;
  }

  function launch(m: MemberState): Subprocess {
    if (!m.args) throw new Error(`test etcd: member ${m.name} was never started`);
    const p = spawn([binary, ...m.args], {
      stdin: "ignore",
      stdout: Bun.file(m.logPath),
      stderr: Bun.file(m.logPath),
      env: cleanEnv(),
    });
    m.proc = p;
    return p;
  }

  function exited(m: MemberState): string | undefined {
    const p = m.proc;
    if (p && (p.exitCode !== null || p.signalCode !== null))
      return `etcd ${m.name} exited (${p.exitCode ?? p.signalCode}):\n${tail(m.logPath)}`;
    return undefined;
  }

  /** Waits until each of `ms` answers with its status; with `leader`, until they agree on one. */
  async function answering(ms: MemberState[], what: string, leader: boolean): Promise<void> {
    const client = await EtcdClient.connect({
      endpoints: ms.map((m) => m.clientUrl),
      tls: pki?.client,
      timeoutMs: 2_000,
      verify: false,
    });
    try {
      await waitFor(
        async () => {
          const statuses = await Promise.all(ms.map((m) => client.status(m.clientUrl)));
          if (!leader) return true;
          const leaders = new Set(statuses.map((s) => s.leader));
          return leaders.size === 1 && !leaders.has(0n) ? true : undefined;
        },
        {
          what,
          timeoutMs,
          intervalMs: 50,
          abandon: () => ms.map(exited).find((x) => x !== undefined),
        },
      );
    } finally {
      client.close();
    }
  }

  async function stopMember(name: string, opts: { kill?: boolean } = {}): Promise<void> {
    const m = find(name);
    const p = m.proc;
    if (!p) return;
    m.proc = undefined;
    p.kill(opts.kill ? "SIGKILL" : "SIGTERM");
    const done = await Promise.race([p.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
    if (!done) {
      p.kill("SIGKILL");
      await p.exited;
    }
  }

  async function stop(): Promise<void> {
    await Promise.all(members.map((m) => stopMember(m.name, { kill: true })));
    rmSync(dir, { recursive: true, force: true });
    process.off("exit", onExit);
  }

  let pki: Awaited<ReturnType<typeof generateTestEtcdPki>> | undefined;
  try {
    if (withTls) {
      mkdirSync(join(dir, "pki"));
      pki = await generateTestEtcdPki(join(dir, "pki"));
    }
    const initial: MemberState[] = [];
    for (let i = 0; i < (options.members ?? 1); i++) initial.push(await newMember());
    const cluster = initialCluster(initial.map((m) => ({ name: m.name, peerUrls: [m.peerUrl] })));
    for (const m of initial) {
      m.args = etcdMemberArgs({ ...m, initialCluster: cluster, state: "new", token, tls: pki?.memberFiles });
      launch(m);
    }
    await answering(initial, `etcd cluster of ${initial.length} in ${dir} has a leader`, true);
  } catch (e) {
    await stop();
    throw e;
  }

  const running = () => members.filter((m) => m.proc !== undefined);

  function etcdctlSetup(endpoints?: string[]): EtcdctlSetup {
    const flags = [`--endpoints=${(endpoints ?? running().map((m) => m.clientUrl)).join(",")}`];
    if (pki) {
      const f = pki.clientFiles;
      flags.push(`--cacert=${f.ca}`, `--cert=${f.cert}`, `--key=${f.key}`);
    }
    return { env: { ETCDCTL_API: "3" }, flags };
  }

  return {
    dir,
    get members() {
      return members as readonly TestEtcdMember[];
    },
    get endpoints() {
      return running().map((m) => m.clientUrl);
    },
    tls: pki?.client,
    ca: pki?.ca,
    clientFiles: pki?.clientFiles,
    member: find,
    connect(opts = {}) {
      return EtcdClient.connect({
        endpoints: opts.endpoints ?? running().map((m) => m.clientUrl),
        tls: pki?.client,
        timeoutMs: opts.timeoutMs,
      });
    },
    prepareMember: () => newMember(),
    async joinMember(member, cluster) {
      const m = find(member.name);
      // a stopped member may join again: a node that lost its data rejoins under its name
      if (m.proc !== undefined) throw new Error(`test etcd: member ${m.name} is running`);
      const named = initialCluster(cluster, (urls) => (urls.includes(m.peerUrl) ? m.name : undefined));
      m.args = etcdMemberArgs({
        ...m,
        initialCluster: named,
        state: "existing",
        token,
        tls: pki?.memberFiles,
      });
      launch(m);
      await answering([m], `etcd ${m.name} joined and answers`, false);
    },
    stopMember,
    async startMember(name) {
      const m = find(name);
      if (m.proc) return;
      launch(m);
      await answering([m], `etcd ${m.name} answers again`, false);
    },
    etcdctlSetup,
    async etcdctl(args, opts = {}) {
      const setup = etcdctlSetup(opts.endpoints);
      const p = spawn(["etcdctl", ...setup.flags, ...args], {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...cleanEnv(), ...setup.env },
      });
      const [stdout, stderr, exitCode] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
        p.exited,
      ]);
      return { exitCode, stdout, stderr };
    },
    stop,
  };
}
