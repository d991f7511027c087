import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Stat } from "@bronze/api";
import type { ContainerdClient, TaskInfo } from "@bronze/containerd-client";
import { isContainerdError } from "@bronze/containerd-client";
import { Code, ConnectError } from "@connectrpc/connect";
import { requireNamespace } from "../caller-input.ts";
import type { MachineApiContext } from "../context.ts";
import { containerdIn, containerdToConnectError } from "./containers.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

type StatOut = Omit<Stat, "$typeName">;

/** A cgroup's usage: memory.current (bytes) and cpu.stat's usage_usec (as nanoseconds). */
export interface CgroupUsage {
  readonly memoryBytes: bigint;
  readonly cpuNs: bigint;
}

export class CgroupStatError extends Error {
  override readonly name = "CgroupStatError";
  readonly code = "Malformed";
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/**
 * Reads the usage of the cgroup directory `dir`; undefined when the cgroup does not exist or lacks
 * memory.current (memory controller not enabled) or cpu.stat: nothing is made up.
 */
export function readCgroupUsage(dir: string): CgroupUsage | undefined {
  const memory = readOptional(join(dir, "memory.current"));
  const cpu = readOptional(join(dir, "cpu.stat"));
  if (memory === undefined || cpu === undefined) return undefined;
  const memoryText = memory.trim();
  if (!/^\d+$/.test(memoryText)) {
    throw new CgroupStatError(
      `${join(dir, "memory.current")}: expected a number of bytes, got ${JSON.stringify(memoryText)}`,
    );
  }
  const usage = /^usage_usec (\d+)$/m.exec(cpu);
  if (usage === null) {
    throw new CgroupStatError(`${join(dir, "cpu.stat")}: no usage_usec line`);
  }
  return { memoryBytes: BigInt(memoryText), cpuNs: BigInt(usage[1] as string) * 1000n };
}

async function containerStats(
  client: ContainerdClient,
  namespace: string,
  doing: string,
): Promise<StatOut[]> {
  let tasks: TaskInfo[];
  try {
    tasks = await client.tasks.list();
  } catch (error) {
    throw containerdToConnectError(error, doing);
  }
  const stats: StatOut[] = [];
  for (const task of tasks) {
    if (task.status !== "running" && task.status !== "paused") continue;
    try {
      const m = await client.tasks.metrics(task.containerId);
      stats.push({
        namespace,
        id: task.containerId,
        memoryUsage: BigInt(m.memoryUsageBytes),
        cpuUsage: BigInt(m.cpuUsageNs),
      });
    } catch (error) {
      // The task ended between the listing and the question: it has no usage to report any more.
      if (isContainerdError(error, "NotFound")) continue;
      throw containerdToConnectError(error, `${doing}: container ${task.containerId}`);
    }
  }
  return stats;
}

/**
 * Stats: with no namespace, the usage of machined's services from their cgroups (services without a
 * cgroup, e.g. in container mode or in-process, are left out); with a containerd namespace, the usage
 * of its running containers as containerd reports it.
 */
export function statsHandlers(
  ctx: Pick<MachineApiContext, "supervisor" | "cgroupRoot" | "containerd">,
): Pick<MachineServiceImpl, "stats"> {
  return {
    stats: async (req) => {
      if (req.namespace !== "") {
        const namespace = requireNamespace(req.namespace, "Stats");
        const doing = `reading the stats of namespace ${namespace}`;
        const client = await containerdIn(ctx, namespace, doing);
        return { stats: await containerStats(client, namespace, doing) };
      }
      const root = ctx.cgroupRoot;
      if (root === undefined) return { stats: [] };
      const stats: StatOut[] = [];
      for (const id of ctx.supervisor.ids()) {
        let usage: CgroupUsage | undefined;
        try {
          usage = readCgroupUsage(join(root, id));
        } catch (error) {
          throw new ConnectError(
            `reading the stats of service ${id}: ${(error as Error).message}`,
            Code.Internal,
            undefined,
            undefined,
            error,
          );
        }
        if (usage !== undefined)
          stats.push({ namespace: "", id, memoryUsage: usage.memoryBytes, cpuUsage: usage.cpuNs });
      }
      return { stats };
    },
  };
}
