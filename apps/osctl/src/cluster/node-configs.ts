// Each node's machine config: the cluster's generated control-plane or worker config with the
// node's own patch (hostname, NICs, SANs), written where the config server serves it
// (configs/<mac>.yaml), or with `--no-config` beside the node's logs, out of the server's reach.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyPatches, ConfigError, formatIssue } from "@bronze/config-schema";
import { CliError } from "../cli-error.ts";
import type { Io } from "../io.ts";
import type { ClusterDirs } from "./cluster-dir.ts";
import {
  type BootMethod,
  type ClusterPlan,
  type NodePlan,
  nodeIpxeScript,
  nodePatch,
} from "./cluster-plan.ts";

/** The generated configs each node's is patched from. */
export interface BaseConfigs {
  controlplane: string;
  worker: string;
}

export interface NodeConfigsInput {
  plan: ClusterPlan;
  dirs: ClusterDirs;
  base: BaseConfigs;
  boot: BootMethod;
  /** The image's kernel command line, for the iPXE scripts of `--boot pxe`. */
  cmdline: string;
  serverPort: number;
  /** false (`--no-config`): the nodes boot without their configs. */
  withConfig: boolean;
}

/** Where a node's config is written: served by MAC, or kept in the node's directory. */
export function nodeConfigPath(
  dirs: ClusterDirs,
  node: { name: string; mac: string },
  withConfig: boolean,
): string {
  return withConfig ? join(dirs.configs, `${node.mac}.yaml`) : join(dirs.dir, node.name, "config.yaml");
}

function patchNodeConfig(base: string, node: NodePlan): string {
  try {
    return applyPatches(base, [nodePatch(node)], { mode: "qemu" });
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError(
        "invalid-input",
        `${node.name}: the config is invalid: ${error.message}\n${error.issues.map((i) => `  ${formatIssue(i, node.name)}`).join("\n")}`,
      );
    throw error;
  }
}

/** Writes every node's config (0600) and, for `--boot pxe`, its iPXE script; says where. */
export function writeNodeConfigs(input: NodeConfigsInput, io: Io): void {
  const { plan, dirs, withConfig } = input;
  for (const node of plan.nodes) {
    mkdirSync(join(dirs.dir, node.name), { recursive: true });
    writeFileSync(nodeConfigPath(dirs, node, withConfig), patchNodeConfig(input.base[node.role], node), {
      mode: 0o600,
    });
    if (input.boot === "pxe")
      writeFileSync(
        join(dirs.configs, `${node.mac}.ipxe`),
        nodeIpxeScript(input.cmdline, input.serverPort, node, { config: withConfig }),
      );
  }
  io.stdout(
    withConfig
      ? `generated configs for ${plan.nodes.length} node(s) in ${dirs.configs}\n`
      : `generated configs for ${plan.nodes.length} node(s) in ${dirs.dir}/<node>/config.yaml; the nodes boot without them (maintenance mode)\n`,
  );
}
