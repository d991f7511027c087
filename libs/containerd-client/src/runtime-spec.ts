// The OCI runtime spec containers run with, built from domain options the way containerd's
// default Unix spec is (same default mounts, masked paths, capabilities, namespaces), plus the
// image's runtime config (entrypoint, cmd, env, working directory, user).
import { ContainerdError } from "./errors.ts";
import type { ImageRuntimeConfig } from "./image-spec.ts";

/** The subset of the OCI runtime spec (1.0.2) the lib writes and reads. */
export interface RuntimeSpec {
  ociVersion: string;
  process?: SpecProcess;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  mounts?: SpecMount[];
  annotations?: Record<string, string>;
  linux?: SpecLinux;
}

export interface SpecProcess {
  terminal?: boolean;
  user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: {
    bounding?: string[];
    effective?: string[];
    inheritable?: string[];
    permitted?: string[];
    ambient?: string[];
  };
  rlimits?: { type: string; hard: number; soft: number }[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

export interface SpecMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface SpecLinux {
  namespaces?: { type: string; path?: string }[];
  resources?: {
    devices?: { allow: boolean; type?: string; major?: number; minor?: number; access?: string }[];
    memory?: { limit?: number; swap?: number };
    cpu?: { shares?: number; quota?: number; period?: number };
    pids?: { limit: number };
  };
  cgroupsPath?: string;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

export interface BindMount {
  /** Absolute path on the host. */
  source: string;
  /** Absolute path in the container. */
  destination: string;
  readOnly?: boolean;
  /** Extra mount options (e.g. "nosuid"). */
  options?: string[];
}

/** What a caller says about a container's process, limits and isolation. */
export interface ContainerSpecOptions {
  /** Command line (default: the image's entrypoint + cmd). */
  args?: string[];
  /** Environment, added to (and overriding) the image's. */
  env?: Record<string, string>;
  /** Working directory (default: the image's, or /). */
  cwd?: string;
  /** Default: the image's user if numeric, else 0. */
  uid?: number;
  gid?: number;
  additionalGids?: number[];
  /** Capabilities, with or without the CAP_ prefix (default: containerd's default set; [] for none). */
  capabilities?: string[];
  /** All capabilities, all devices, no masked paths (kubelet). */
  privileged?: boolean;
  readOnlyRootfs?: boolean;
  mounts?: BindMount[];
  memoryLimitBytes?: number;
  /** CPU limit in cores (quota over a 100 ms period). */
  cpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
  hostNetwork?: boolean;
  hostPid?: boolean;
  hostIpc?: boolean;
  hostUts?: boolean;
  hostname?: string;
  /** Default true. */
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  /** RLIMIT_NOFILE (default 1024, as containerd). */
  maxOpenFiles?: number;
  sysctls?: Record<string, string>;
  /** Default `/<namespace>/<id>`, as containerd. */
  cgroupsPath?: string;
  annotations?: Record<string, string>;
}

export interface RuntimeSpecOptions extends ContainerSpecOptions {
  id: string;
  namespace: string;
  /** "rootfs" (the bundle's, for snapshot-backed containers) or an absolute host path. */
  rootPath?: string;
  /** The image's runtime config, supplying defaults. */
  image?: ImageRuntimeConfig;
}

export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export const DEFAULT_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Every capability Linux 5.9+ knows, in number order. */
export const ALL_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

const MASKED_PATHS = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
];
const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

function defaultMounts(privileged: boolean): SpecMount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/sys",
      type: "sysfs",
      source: "sysfs",
      options: ["nosuid", "noexec", "nodev", privileged ? "rw" : "ro"],
    },
    {
      destination: "/run",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
  ];
}

function invalid(detail: string): ContainerdError {
  return new ContainerdError("InvalidArgument", "runtime spec", detail);
}

export function normalizeCapability(name: string): string {
  const cap = name.toUpperCase().startsWith("CAP_") ? name.toUpperCase() : `CAP_${name.toUpperCase()}`;
  if (!ALL_CAPABILITIES.includes(cap)) throw invalid(`unknown capability ${JSON.stringify(name)}`);
  return cap;
}

function mergeEnv(base: string[], overrides: Record<string, string>): string[] {
  const out = new Map<string, string>();
  for (const kv of base) {
    const eq = kv.indexOf("=");
    out.set(eq === -1 ? kv : kv.slice(0, eq), kv);
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (k === "" || k.includes("="))
      throw invalid(`environment variable name ${JSON.stringify(k)} is invalid`);
    out.set(k, `${k}=${v}`);
  }
  return [...out.values()];
}

function imageUser(user: string | undefined): { uid?: number; gid?: number } {
  if (!user) return {};
  const [u, g] = user.split(":");
  if (!/^\d+$/.test(u ?? "") || (g !== undefined && !/^\d+$/.test(g)))
    throw new ContainerdError(
      "FailedPrecondition",
      "runtime spec",
      `the image runs as user ${JSON.stringify(user)}, which is a name; pass a numeric uid and gid`,
    );
  return { uid: Number(u), gid: g === undefined ? undefined : Number(g) };
}

function nonNegativeInteger(what: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0))
    throw invalid(`${what} must be a non-negative integer, got ${v}`);
}

export function buildRuntimeSpec(o: RuntimeSpecOptions): RuntimeSpec {
  const image = o.image ?? {};
  const args = o.args ?? [...(image.Entrypoint ?? []), ...(image.Cmd ?? [])];
  if (args.length === 0) throw invalid("no command: pass args (the image defines no entrypoint or cmd)");
  const fromImage = imageUser(o.uid === undefined ? image.User : undefined);
  const uid = o.uid ?? fromImage.uid ?? 0;
  const gid = o.gid ?? fromImage.gid ?? (o.uid === undefined ? 0 : o.uid);
  for (const [what, v] of [
    ["uid", uid],
    ["gid", gid],
    ["memoryLimitBytes", o.memoryLimitBytes],
    ["cpuShares", o.cpuShares],
    ["pidsLimit", o.pidsLimit],
    ["maxOpenFiles", o.maxOpenFiles],
  ] as const)
    nonNegativeInteger(what, v);
  if (o.cpus !== undefined && !(o.cpus > 0)) throw invalid(`cpus must be positive, got ${o.cpus}`);
  const cwd = o.cwd ?? (image.WorkingDir || "/");
  if (!cwd.startsWith("/")) throw invalid(`cwd ${JSON.stringify(cwd)} must be absolute`);
  const privileged = o.privileged ?? false;
  const caps = privileged
    ? ALL_CAPABILITIES
    : (o.capabilities ?? DEFAULT_CAPABILITIES).map(normalizeCapability);
  const capSet = [...new Set(caps)];
  const env = mergeEnv(image.Env && image.Env.length > 0 ? image.Env : [DEFAULT_PATH], o.env ?? {});
  const nofile = o.maxOpenFiles ?? 1024;

  const mounts = defaultMounts(privileged);
  if (o.hostNetwork) {
    mounts.push({ destination: "/etc/hosts", type: "bind", source: "/etc/hosts", options: ["rbind", "ro"] });
    mounts.push({
      destination: "/etc/resolv.conf",
      type: "bind",
      source: "/etc/resolv.conf",
      options: ["rbind", "ro"],
    });
  }
  for (const m of o.mounts ?? []) {
    if (!m.source.startsWith("/"))
      throw invalid(`bind mount source ${JSON.stringify(m.source)} must be an absolute path`);
    if (!m.destination.startsWith("/"))
      throw invalid(`bind mount destination ${JSON.stringify(m.destination)} must be an absolute path`);
    const existing = mounts.findIndex((x) => x.destination === m.destination);
    if (existing >= 0) mounts.splice(existing, 1);
    mounts.push({
      destination: m.destination,
      type: "bind",
      source: m.source,
      options: ["rbind", m.readOnly ? "ro" : "rw", ...(m.options ?? [])],
    });
  }

  const namespaces = [
    { type: "pid", host: o.hostPid },
    { type: "ipc", host: o.hostIpc },
    { type: "uts", host: o.hostUts },
    { type: "mount", host: false },
    { type: "network", host: o.hostNetwork },
  ]
    .filter((n) => !n.host)
    .map((n) => ({ type: n.type }));
  if (o.hostname && o.hostUts) throw invalid("hostname cannot be set with hostUts");

  const resources: NonNullable<SpecLinux["resources"]> = {
    devices: [{ allow: privileged, access: "rwm" }],
  };
  if (o.memoryLimitBytes !== undefined) resources.memory = { limit: o.memoryLimitBytes };
  if (o.cpus !== undefined || o.cpuShares !== undefined) {
    resources.cpu = {};
    if (o.cpuShares !== undefined) resources.cpu.shares = o.cpuShares;
    if (o.cpus !== undefined) {
      resources.cpu.period = 100_000;
      resources.cpu.quota = Math.round(o.cpus * 100_000);
    }
  }
  if (o.pidsLimit !== undefined) resources.pids = { limit: o.pidsLimit };

  const process: SpecProcess = {
    user: { uid, gid, ...(o.additionalGids?.length ? { additionalGids: o.additionalGids } : {}) },
    args,
    env,
    cwd,
    capabilities: { bounding: capSet, permitted: capSet, effective: capSet },
    rlimits: [{ type: "RLIMIT_NOFILE", hard: nofile, soft: nofile }],
    noNewPrivileges: o.noNewPrivileges ?? true,
  };
  if (o.oomScoreAdj !== undefined) process.oomScoreAdj = o.oomScoreAdj;

  const linux: SpecLinux = {
    namespaces,
    resources,
    cgroupsPath: o.cgroupsPath ?? `/${o.namespace}/${o.id}`,
  };
  if (!privileged) {
    linux.maskedPaths = [...MASKED_PATHS];
    linux.readonlyPaths = [...READONLY_PATHS];
  }
  if (o.sysctls && Object.keys(o.sysctls).length > 0) linux.sysctl = { ...o.sysctls };

  const spec: RuntimeSpec = {
    ociVersion: "1.0.2-dev",
    process,
    root: { path: o.rootPath ?? "rootfs", ...(o.readOnlyRootfs ? { readonly: true } : {}) },
    mounts,
    linux,
  };
  if (o.hostname) spec.hostname = o.hostname;
  if (o.annotations) spec.annotations = { ...o.annotations };
  return spec;
}
