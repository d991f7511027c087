// `osctl services`, `osctl service <id> [start|stop|restart|status]` and `osctl health`, which
// waits until services are up and healthy, printing progress on stderr.
import { type ServiceInfo, ServiceInfoSchema } from "@bronze/api";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { CliError } from "../cli-error.ts";
import { fanOut, type NodeResult } from "../client/fan-out.ts";
import {
  DEFAULT_WAIT_TIMEOUT_MS,
  type NodeGlobals,
  type NodeSession,
  withNodeSession,
} from "../client/node-client.ts";
import { formatDuration } from "../client/node-error.ts";
import type { ServiceAction } from "../client/node-flags.ts";
import { messageData, printNodeResults } from "../client/node-output.ts";
import type { Io } from "../io.ts";
import type { OutputFormat } from "../output/output-format.ts";
import { etcdGatherer, etcdProblem, runsEtcd } from "./etcd-health.ts";

export function healthText(service: ServiceInfo): string {
  if (!service.health) return "-";
  if (service.health.unknown) return "?";
  return service.health.healthy ? "OK" : "Fail";
}

function sinceText(service: ServiceInfo): string {
  return service.since ? timestampDate(service.since).toISOString() : "";
}

const SERVICE_VIEW = {
  headers: ["SERVICE", "STATE", "HEALTH", "SINCE", "MESSAGE"],
  rows: (services: ServiceInfo[]) =>
    services.map((s) => [s.id, s.state, healthText(s), sinceText(s), s.message]),
  data: (services: ServiceInfo[]) => ({ services: services.map((s) => messageData(ServiceInfoSchema, s)) }),
};

async function listServices(session: NodeSession): Promise<NodeResult<ServiceInfo[]>[]> {
  return fanOut(session, async (n) => {
    const res = await session.client.serviceList({}, { headers: n.headers, timeoutMs: session.timeoutMs });
    return res.services;
  });
}

export async function services(
  options: { output: OutputFormat },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) =>
    printNodeResults(io, options.output, await listServices(session), SERVICE_VIEW),
  );
}

export async function service(
  id: string,
  action: ServiceAction,
  options: { output: OutputFormat },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    if (action === "status") {
      const results = (await listServices(session)).map((r): NodeResult<ServiceInfo[]> => {
        if (!("value" in r)) return r;
        const found = r.value.filter((s) => s.id === id);
        return found.length ? { node: r.node, value: found } : { node: r.node, error: `no service "${id}"` };
      });
      return printNodeResults(io, options.output, results, SERVICE_VIEW);
    }
    const call = { headers: {}, timeoutMs: session.timeoutMs };
    const results = await fanOut(session, async (n) => {
      const opts = { ...call, headers: n.headers };
      const res =
        action === "start"
          ? await session.client.serviceStart({ id }, opts)
          : action === "stop"
            ? await session.client.serviceStop({ id }, opts)
            : await session.client.serviceRestart({ id }, opts);
      return res.resp;
    });
    return printNodeResults(io, options.output, results, {
      headers: ["RESPONSE"],
      rows: (resp) => [[resp]],
      data: (resp) => ({ service: id, action, response: resp }),
    });
  });
}

export interface HealthOptions {
  /** Services that must be up and healthy; default: every service that is not Skipped or Finished. */
  services: string[];
  /** Milliseconds between polls. */
  intervalMs?: number;
}

/** Why a node is not healthy yet, or undefined when every wanted service is up and healthy. */
export function unhealthy(services: ServiceInfo[], wanted: string[]): string | undefined {
  const problems: string[] = [];
  const byId = new Map(services.map((s) => [s.id, s]));
  const ids = wanted.length
    ? wanted
    : services.filter((s) => s.state !== "Skipped" && s.state !== "Finished").map((s) => s.id);
  for (const id of ids) {
    const s = byId.get(id);
    if (!s) problems.push(`${id}: not present`);
    else if (s.state !== "Running") problems.push(`${id}: ${s.state}${s.message ? ` (${s.message})` : ""}`);
    else if (s.health && !s.health.healthy)
      problems.push(
        `${id}: ${s.health.unknown ? "health unknown" : "unhealthy"}${s.health.lastMessage ? ` (${s.health.lastMessage})` : ""}`,
      );
  }
  return problems.length ? problems.join(", ") : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function health(options: HealthOptions, globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(globals, io, { defaultTimeoutMs: DEFAULT_WAIT_TIMEOUT_MS }, async (session) => {
    const start = io.now().getTime();
    const deadline = start + session.timeoutMs;
    const intervalMs = options.intervalMs ?? 2000;
    const last = new Map<string, string>();
    const all = session.nodes.length ? session.nodes : [session.endpoint];
    const pending = new Set(all);
    // The nodes seen running etcd (control planes), healthy ones included: the cluster-wide checks
    // ask every one of them.
    const etcdNodes = new Set<string>();
    const gatherEtcd = etcdGatherer(session);
    while (true) {
      const remaining = deadline - io.now().getTime();
      const callTimeout = Math.max(1, Math.min(10_000, remaining));
      const nodes = session.nodes.filter((n) => pending.has(n));
      const results = await fanOut({ ...session, nodes }, async (n) => {
        const res = await session.client.serviceList({}, { headers: n.headers, timeoutMs: callTimeout });
        if (runsEtcd(res.services, options.services)) etcdNodes.add(n.node);
        return unhealthy(res.services, options.services);
      });
      const states = new Map(
        results.map((r) => [r.node, "error" in r ? `unreachable: ${r.error}` : r.value] as const),
      );
      // Once an etcd node's services are healthy, it waits for the etcd cluster to be healthy too.
      const etcdReady = [...states].filter(([n, state]) => state === undefined && etcdNodes.has(n));
      if (etcdReady.length) {
        const problem = etcdProblem(
          await gatherEtcd(
            all.filter((n) => etcdNodes.has(n)),
            callTimeout,
          ),
        );
        for (const [n] of etcdReady) states.set(n, problem);
      }
      for (const [node, state] of states) {
        if (state === undefined) {
          pending.delete(node);
          io.stderr(`${node}: healthy\n`);
        } else if (last.get(node) !== state) {
          io.stderr(`${node}: waiting: ${state}\n`);
        }
        if (state !== undefined) last.set(node, state);
      }
      if (pending.size === 0) {
        io.stdout(`all nodes healthy (${formatDuration(Math.max(0, io.now().getTime() - start))})\n`);
        return 0;
      }
      if (io.now().getTime() + intervalMs > deadline) {
        const seen = [...pending].map((n) => `${n}: ${last.get(n) ?? "no answer"}`).join("; ");
        throw new CliError(
          "failed",
          `timed out after ${formatDuration(session.timeoutMs)} waiting for the nodes to be healthy; last seen: ${seen}`,
        );
      }
      await sleep(intervalMs);
    }
  });
}
