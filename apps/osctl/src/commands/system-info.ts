// Read-only node information: `osctl containers [-k]` (alias `ps`), `processes`, `memory`,
// `mounts`, `stats [-k]`.
import {
  type ContainerInfo,
  ContainerInfoSchema,
  type MemInfo,
  MemInfoSchema,
  type MountStat,
  MountStatSchema,
  type ProcessInfo,
  ProcessInfoSchema,
  type Stat,
  StatSchema,
} from "@bronze/api";
import { fanOut } from "../client/fan-out.ts";
import { type MachineClient, type NodeGlobals, withNodeSession } from "../client/node-client.ts";
import { messageData, type NodeView, printNodeResults } from "../client/node-output.ts";
import type { Io } from "../io.ts";
import type { OutputFormat } from "../output/output-format.ts";

/** containerd namespaces: machined's own containers, and the kubelet's (CRI). */
export const SYSTEM_NAMESPACE = "system";
export const KUBERNETES_NAMESPACE = "k8s.io";

interface Listing {
  output: OutputFormat;
  kubernetes?: boolean;
}

const MIB = 1024 * 1024;
const mb = (bytes: bigint | number) => (Number(bytes) / MIB).toFixed(2);
const gb = (bytes: bigint) => (Number(bytes) / 1024 ** 3).toFixed(2);

async function fetchAndPrint<T>(
  globals: NodeGlobals,
  io: Io,
  format: OutputFormat,
  fetch: (client: MachineClient, opts: { headers: Record<string, string>; timeoutMs: number }) => Promise<T>,
  view: NodeView<T>,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, (n) =>
      fetch(session.client, { headers: n.headers, timeoutMs: session.timeoutMs }),
    );
    return printNodeResults(io, format, results, view);
  });
}

export const CONTAINER_VIEW: NodeView<ContainerInfo[]> = {
  headers: ["NAMESPACE", "ID", "IMAGE", "PID", "STATUS"],
  rows: (cs) => cs.map((c) => [c.namespace, c.id, c.image, String(c.pid), c.status]),
  data: (cs) => ({ containers: cs.map((c) => messageData(ContainerInfoSchema, c)) }),
};

export async function containers(options: Listing, globals: NodeGlobals, io: Io): Promise<number> {
  const namespace = options.kubernetes ? KUBERNETES_NAMESPACE : SYSTEM_NAMESPACE;
  return fetchAndPrint(
    globals,
    io,
    options.output,
    async (client, opts) => (await client.containers({ namespace }, opts)).containers,
    CONTAINER_VIEW,
  );
}

export const PROCESS_VIEW: NodeView<ProcessInfo[]> = {
  headers: ["PID", "STATE", "THREADS", "CPU-TIME", "VIRTMEM", "RESMEM", "COMMAND"],
  rows: (ps) =>
    ps.map((p) => [
      String(p.pid),
      p.state,
      String(p.threads),
      p.cpuTime.toFixed(2),
      `${mb(p.virtualMemory)}MB`,
      `${mb(p.residentMemory)}MB`,
      [p.executable || p.command, p.args].filter(Boolean).join(" "),
    ]),
  data: (ps) => ({ processes: ps.map((p) => messageData(ProcessInfoSchema, p)) }),
};

export async function processes(options: Listing, globals: NodeGlobals, io: Io): Promise<number> {
  return fetchAndPrint(
    globals,
    io,
    options.output,
    async (client, opts) => (await client.processes({}, opts)).processes,
    PROCESS_VIEW,
  );
}

const kibToMb = (kib: bigint) => String(kib / 1024n);

/** talosctl's columns, in MB: used = total - free - buffers - cached. */
export const MEMORY_VIEW: NodeView<MemInfo | undefined> = {
  headers: ["TOTAL", "USED", "FREE", "SHARED", "BUFFERS", "CACHE", "AVAILABLE"],
  rows: (m) =>
    m
      ? [
          [
            kibToMb(m.memtotal),
            kibToMb(m.memtotal - m.memfree - m.buffers - m.cached),
            kibToMb(m.memfree),
            kibToMb(m.shmem),
            kibToMb(m.buffers),
            kibToMb(m.cached),
            kibToMb(m.memavailable),
          ],
        ]
      : [],
  data: (m) => ({ meminfo: m ? messageData(MemInfoSchema, m) : null }),
};

export async function memory(options: Listing, globals: NodeGlobals, io: Io): Promise<number> {
  return fetchAndPrint(
    globals,
    io,
    options.output,
    async (client, opts) => (await client.memory({}, opts)).meminfo,
    MEMORY_VIEW,
  );
}

export const MOUNT_VIEW: NodeView<MountStat[]> = {
  headers: ["FILESYSTEM", "SIZE(GB)", "USED(GB)", "AVAILABLE(GB)", "PERCENT USED", "MOUNTED ON"],
  rows: (ms) =>
    ms.map((m) => {
      const used = m.size - m.available;
      const percent = m.size > 0n ? `${((Number(used) / Number(m.size)) * 100).toFixed(2)}%` : "-";
      return [m.filesystem, gb(m.size), gb(used), gb(m.available), percent, m.mountedOn];
    }),
  data: (ms) => ({ mounts: ms.map((m) => messageData(MountStatSchema, m)) }),
};

export async function mounts(options: Listing, globals: NodeGlobals, io: Io): Promise<number> {
  return fetchAndPrint(
    globals,
    io,
    options.output,
    async (client, opts) => (await client.mounts({}, opts)).stats,
    MOUNT_VIEW,
  );
}

export const STATS_VIEW: NodeView<Stat[]> = {
  headers: ["NAMESPACE", "ID", "MEMORY(MB)", "CPU"],
  rows: (ss) => ss.map((s) => [s.namespace, s.id, mb(s.memoryUsage), (Number(s.cpuUsage) / 1e9).toFixed(2)]),
  data: (ss) => ({ stats: ss.map((s) => messageData(StatSchema, s)) }),
};

export async function stats(options: Listing, globals: NodeGlobals, io: Io): Promise<number> {
  // Empty namespace: machined's services; -k: the kubelet's containers.
  const namespace = options.kubernetes ? KUBERNETES_NAMESPACE : "";
  return fetchAndPrint(
    globals,
    io,
    options.output,
    async (client, opts) => (await client.stats({ namespace }, opts)).stats,
    STATS_VIEW,
  );
}
