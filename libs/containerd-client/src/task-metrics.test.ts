import { expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { MetricsSchema as V1 } from "./gen/github.com/containerd/cgroups/stats/v1/metrics_pb.ts";
import { MetricsSchema as V2 } from "./gen/github.com/containerd/cgroups/v2/stats/metrics_pb.ts";
import { decodeTaskMetrics } from "./task-metrics.ts";

test("cgroups v1 and v2 statistics map to one shape", () => {
  const v1 = create(V1, {
    cpu: { usage: { total: 5000n, user: 3000n, kernel: 2000n } },
    memory: { usage: { usage: 4096n, limit: 8192n } },
    pids: { current: 3n, limit: 10n },
  });
  const m1 = decodeTaskMetrics(
    "c",
    undefined,
    create(AnySchema, { typeUrl: "io.containerd.cgroups.v1.Metrics", value: toBinary(V1, v1) }),
  );
  expect(m1).toEqual({
    containerId: "c",
    cgroup: "v1",
    cpuUsageNs: 5000,
    cpuUserNs: 3000,
    cpuSystemNs: 2000,
    memoryUsageBytes: 4096,
    memoryLimitBytes: 8192,
    pids: 3,
    pidsLimit: 10,
  });
  const v2 = create(V2, {
    cpu: { usageUsec: 7n, userUsec: 4n, systemUsec: 3n },
    memory: { usage: 100n, usageLimit: 200n },
    pids: { current: 1n, limit: 0n },
  });
  const m2 = decodeTaskMetrics(
    "c",
    undefined,
    create(AnySchema, { typeUrl: "io.containerd.cgroups.v2.Metrics", value: toBinary(V2, v2) }),
  );
  expect(m2.cpuUsageNs).toBe(7000);
  expect(m2.memoryLimitBytes).toBe(200);
  expect(m2.cgroup).toBe("v2");
  expect(() => decodeTaskMetrics("c", undefined, create(AnySchema, { typeUrl: "x.Y" }))).toThrow(
    "unknown metrics type x.Y",
  );
});
