// Task metrics arrive as an Any holding cgroups v1 or v2 statistics; callers get one shape.
import { fromBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { ContainerdError } from "./errors.ts";
import { MetricsSchema as V1MetricsSchema } from "./gen/github.com/containerd/cgroups/stats/v1/metrics_pb.ts";
import { MetricsSchema as V2MetricsSchema } from "./gen/github.com/containerd/cgroups/v2/stats/metrics_pb.ts";

export interface TaskMetrics {
  containerId: string;
  timestamp?: Date;
  cgroup: "v1" | "v2";
  /** CPU time used, in nanoseconds. */
  cpuUsageNs: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  memoryUsageBytes: number;
  /** 0 or a huge number when unlimited, as the kernel reports it. */
  memoryLimitBytes: number;
  pids: number;
  pidsLimit: number;
}

export function decodeTaskMetrics(
  containerId: string,
  timestamp: Date | undefined,
  data: Any | undefined,
): TaskMetrics {
  const base = { containerId, ...(timestamp ? { timestamp } : {}) };
  const url = data?.typeUrl.replace(/^.*\//, "") ?? "";
  if (data && url === "io.containerd.cgroups.v1.Metrics") {
    const m = fromBinary(V1MetricsSchema, data.value);
    return {
      ...base,
      cgroup: "v1",
      cpuUsageNs: Number(m.cpu?.usage?.total ?? 0n),
      cpuUserNs: Number(m.cpu?.usage?.user ?? 0n),
      cpuSystemNs: Number(m.cpu?.usage?.kernel ?? 0n),
      memoryUsageBytes: Number(m.memory?.usage?.usage ?? 0n),
      memoryLimitBytes: Number(m.memory?.usage?.limit ?? 0n),
      pids: Number(m.pids?.current ?? 0n),
      pidsLimit: Number(m.pids?.limit ?? 0n),
    };
  }
  if (data && url === "io.containerd.cgroups.v2.Metrics") {
    const m = fromBinary(V2MetricsSchema, data.value);
    return {
      ...base,
      cgroup: "v2",
      cpuUsageNs: Number(m.cpu?.usageUsec ?? 0n) * 1000,
      cpuUserNs: Number(m.cpu?.userUsec ?? 0n) * 1000,
      cpuSystemNs: Number(m.cpu?.systemUsec ?? 0n) * 1000,
      memoryUsageBytes: Number(m.memory?.usage ?? 0n),
      memoryLimitBytes: Number(m.memory?.usageLimit ?? 0n),
      pids: Number(m.pids?.current ?? 0n),
      pidsLimit: Number(m.pids?.limit ?? 0n),
    };
  }
  throw new ContainerdError(
    "Unimplemented",
    `tasks.metrics ${JSON.stringify(containerId)}`,
    `unknown metrics type ${data?.typeUrl ?? "(none)"}`,
  );
}
