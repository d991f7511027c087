// The first step of `cluster create` that picks anything: free host ports (the config server's,
// then one per node for apid's forward) and the plan of the nodes on them.
import { usageError } from "../cli-error.ts";
import { type ClusterPlan, ClusterPlanError, planCluster } from "./cluster-plan.ts";
import { freePorts } from "./free-ports.ts";

export interface PlanNodesInput {
  name: string;
  controlplanes: number;
  workers: number;
  memoryMb: number;
  cpus: number;
}

/** The cluster's plan on free ports, and the config server's port; a bad flag is a usage error. */
export async function planNodes(input: PlanNodesInput): Promise<{ plan: ClusterPlan; serverPort: number }> {
  const [serverPort, ...apidPorts] = await freePorts(input.controlplanes + input.workers + 1);
  try {
    return { plan: planCluster({ ...input, apidPorts }), serverPort: serverPort as number };
  } catch (error) {
    if (error instanceof ClusterPlanError) throw usageError(error.message);
    throw error;
  }
}
