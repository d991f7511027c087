// etcd as a system container on a control plane: the root filesystem's /usr/bin/etcd (Debian's 3.4),
// as uid 60 with no capabilities, its data in /var/lib/etcd (EPHEMERAL; tmpfs on a diskless node), its
// certificates (etcd-certificates.ts) mounted read-only, the host's network. How it starts — a new
// cluster (bootstrap), joining an existing one, or restarting on its data — is decided before the
// service is started (etcd-join.ts) and given here as an EtcdStart.
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { isIPv6 } from "node:net";
import type { ServiceUser } from "../services/service-rootfs.ts";
import {
  type SystemContainerDeps,
  secretsDir,
  systemContainerRunner,
} from "../services/system-containers.ts";
import type { HealthCheckSpec, ServiceDefinition } from "../supervisor/service.ts";
import { ETCD_PKI_DIR, etcdTlsArgs } from "./etcd-certificates.ts";

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** Plain HTTP on loopback: /health and /metrics, for the health check (no certificate needed). */
export const ETCD_METRICS_PORT = 2381;
export const ETCD_DATA_DIR = "/var/lib/etcd";
/** The image's /etc/passwd names it (image/src/etc-skeleton.ts: ETCD_UID). */
export const ETCD_USER: ServiceUser = { name: "etcd", uid: 60, gid: 60 };
/** etcd's own footprint is ~30-60 MiB on a small cluster; its database is memory-mapped on top. */
export const ETCD_MEMORY_BYTES = 256 << 20;

/** How etcd starts: founding a cluster, joining one (--initial-cluster-state), or on its data. */
export type EtcdStart =
  | { readonly state: "new" | "existing"; readonly initialCluster: string }
  | { readonly state: "restart" };

export interface EtcdMemberOptions {
  /** The member's name: the node's hostname. */
  readonly name: string;
  /** The address the other members and clients reach this one at. */
  readonly advertiseAddress: string;
  readonly start: EtcdStart;
  /** Default ETCD_DATA_DIR (the container's view). */
  readonly dataDir?: string;
  /** Default ETCD_PKI_DIR (the container's view). */
  readonly pkiDir?: string;
  /** cluster.etcd.extraArgs: `name: value` as `--name=value`, replacing a default flag of that name. */
  readonly extraArgs?: Readonly<Record<string, string>>;
}

const host = (address: string) => (isIPv6(address) ? `[${address}]` : address);

/** The URL other members reach this one's peer port at. */
export function etcdPeerUrl(address: string): string {
  return `https://${host(address)}:${ETCD_PEER_PORT}`;
}

/** The URL clients reach this one at. */
export function etcdClientUrl(address: string): string {
  return `https://${host(address)}:${ETCD_CLIENT_PORT}`;
}

/** etcd's command line for a member. */
export function etcdArgs(options: EtcdMemberOptions): string[] {
  const extra = Object.entries(options.extraArgs ?? {}).map(([name, value]) => `--${name}=${value}`);
  const replaced = new Set(Object.keys(options.extraArgs ?? {}));
  return [...defaultEtcdArgs(options).filter((a) => !replaced.has(a.slice(2, a.indexOf("=")))), ...extra];
}

function defaultEtcdArgs(options: EtcdMemberOptions): string[] {
  const { start } = options;
  return [
    `--name=${options.name}`,
    `--data-dir=${options.dataDir ?? ETCD_DATA_DIR}`,
    `--listen-client-urls=https://0.0.0.0:${ETCD_CLIENT_PORT}`,
    `--advertise-client-urls=${etcdClientUrl(options.advertiseAddress)}`,
    `--listen-peer-urls=https://0.0.0.0:${ETCD_PEER_PORT}`,
    `--initial-advertise-peer-urls=${etcdPeerUrl(options.advertiseAddress)}`,
    `--listen-metrics-urls=http://127.0.0.1:${ETCD_METRICS_PORT}`,
    ...(start.state === "restart"
      ? []
      : [`--initial-cluster=${start.initialCluster}`, `--initial-cluster-state=${start.state}`]),
    // keep the history bounded without an operator (Talos: the same), and refuse to serve a corrupt copy
    "--auto-compaction-mode=periodic",
    "--auto-compaction-retention=5m",
    "--experimental-initial-corrupt-check=true",
    ...etcdTlsArgs(options.pkiDir ?? ETCD_PKI_DIR),
  ];
}

/** etcd's /health on the loopback metrics port: healthy when it says so (it has a leader, no alarm). */
export function etcdHealthCheck(
  fetchFn: (url: string, init: { signal: AbortSignal }) => Promise<Response> = fetch,
): HealthCheckSpec {
  return {
    initialDelayMs: 500,
    periodMs: 5000,
    startPeriodMs: 500,
    timeoutMs: 3000,
    check: async (signal) => {
      const response = await fetchFn(`http://127.0.0.1:${ETCD_METRICS_PORT}/health`, { signal });
      const text = await response.text();
      let healthy: unknown;
      try {
        healthy = (JSON.parse(text) as { health?: unknown }).health;
      } catch {
        throw new Error(`etcd /health answered ${response.status}: ${text.slice(0, 200)}`);
      }
      if (healthy !== "true") throw new Error(`etcd /health: ${text.trim().slice(0, 200)}`);
    },
  };
}

export interface EtcdServiceOptions extends SystemContainerDeps {
  /** The member's name, address and how it starts: asked at each start (a join changes it). */
  readonly member: () => EtcdMemberOptions;
  /** Where /var/lib/etcd is on the host (the node's /var/lib/etcd, or the sandbox's). */
  readonly dataDir: string;
  /** The service that writes etcd's certificates. */
  readonly pkiService: string;
  /** Default /usr/bin/etcd. */
  readonly binary?: string;
}

export const ETCD_SERVICE_ID = "etcd";

/** The etcd service: restarted forever, healthy when etcd says it is. */
export function etcdService(options: EtcdServiceOptions): ServiceDefinition {
  return {
    id: ETCD_SERVICE_ID,
    dependsOn: ["containerd", options.pkiService],
    restart: "forever",
    backoff: { initialMs: 1000, maxMs: 30_000, factor: 2, resetAfterMs: 60_000 },
    stopGraceMs: 15_000,
    healthCheck: etcdHealthCheck(),
    runner: systemContainerRunner(options, () => ({
      id: "etcd",
      user: ETCD_USER,
      binary: options.binary ?? "/usr/bin/etcd",
      // a getter: the runner reads the spec's id when it is made, the arguments only at each start,
      // once the controller has decided how etcd starts
      get args() {
        return etcdArgs({ ...options.member(), dataDir: ETCD_DATA_DIR, pkiDir: ETCD_PKI_DIR });
      },
      env: { HOME: "/tmp", TMPDIR: "/tmp" },
      memoryLimitBytes: ETCD_MEMORY_BYTES,
      // etcd wants its data directory private (0700) and writes it as its own uid
      beforeStart: () => {
        mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
        chmodSync(options.dataDir, 0o700);
        chownSync(options.dataDir, ETCD_USER.uid, ETCD_USER.gid);
      },
      mounts: [
        { source: options.dataDir, destination: ETCD_DATA_DIR },
        { source: secretsDir(options.paths, "etcd"), destination: ETCD_PKI_DIR, readOnly: true },
      ],
    })),
  };
}
