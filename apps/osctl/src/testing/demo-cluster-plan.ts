// The plan the cluster step tests share: cluster "demo", one control plane (apid forwarded from
// 127.0.0.1:4001, 10.5.0.2) and one worker (4002, 10.5.0.3), 512 MB and one vCPU each.
import { type ClusterPlan, planCluster } from "../cluster/cluster-plan.ts";

export function demoClusterPlan(): ClusterPlan {
  return planCluster({
    name: "demo",
    controlplanes: 1,
    workers: 1,
    memoryMb: 512,
    cpus: 1,
    apidPorts: [4001, 4002],
  });
}
