// What `cluster create` prints last: how the cluster ended up, the `apply-config --insecure` command
// for each node waiting in maintenance mode (pinned to the fingerprint its console shows), and the
// commands to try next.
import type { ClusterState } from "./cluster-state.ts";
import { readLog } from "./log-files.ts";
import { applyConfigCommand, maintenanceFingerprint } from "./maintenance-node.ts";
import type { NodeOutcome } from "./node-wait.ts";

export interface CreateSummaryInput {
  state: ClusterState;
  /** The cluster's directory. */
  dir: string;
  /** Whether `create` waited for the nodes (not `--no-wait`). */
  waited: boolean;
  /** false (`--no-config`): the nodes booted without their configs. */
  withConfig: boolean;
  /** Nodes that did not come up, and how the others did (from waitForNodes). */
  failed: number;
  outcomes: Map<string, NodeOutcome>;
  /** The osconfig path when the user gave `--osconfig`, to repeat it in the suggested commands. */
  osconfigFlag: string | undefined;
  /** Each node's config file. */
  configFile: (node: { name: string; mac: string }) => string;
  /** Time since `create` started, e.g. "97.3s". */
  elapsed: string;
}

/**
 * Nodes waiting in maintenance mode (all of them with --no-config, and without --wait): how to bring
 * each up, pinned to the certificate fingerprint its console shows.
 */
function applyLines(input: CreateSummaryInput): string[] {
  const { state, outcomes } = input;
  const waiting = state.nodes.filter((node) =>
    input.waited ? outcomes.get(node.name)?.stage === "maintenance" : !input.withConfig,
  );
  return waiting.map(
    (node) =>
      `  ${applyConfigCommand({
        endpoint: `127.0.0.1:${node.apidPort}`,
        file: input.configFile(node),
        fingerprint: outcomes.get(node.name)?.fingerprint ?? maintenanceFingerprint(readLog(node.serialLog)),
        serialLog: node.serialLog,
      })}`,
  );
}

/** The closing text of `cluster create`, newline-terminated. */
export function createSummary(input: CreateSummaryInput): string {
  const { state, failed } = input;
  const apply = applyLines(input);
  const flag = input.osconfigFlag ? ` --osconfig ${input.osconfigFlag}` : "";
  const context = state.context;
  const status = failed
    ? `started, ${failed} node(s) not up`
    : !input.waited
      ? "started"
      : apply.length > 0
        ? `is up, ${apply.length} node(s) in maintenance mode`
        : "is up";
  return [
    "",
    `cluster "${state.name}" ${status} (${input.elapsed})`,
    ...(apply.length > 0
      ? [
          `apply each node's config over the maintenance API${input.waited ? "" : " once its console shows the certificate fingerprint"}:`,
          ...apply,
          "then:",
        ]
      : ["try:"]),
    `  osctl${flag} --context ${context} version`,
    `  osctl${flag} --context ${context} services`,
    `  osctl${flag} --context ${context} -e 127.0.0.1:${state.nodes[0]?.apidPort} logs containerd`,
    `  osctl cluster show --name ${state.name}`,
    `  osctl${flag} cluster destroy --name ${state.name}`,
    `serial logs: ${input.dir}/<node>/serial.log`,
    "",
  ].join("\n");
}
