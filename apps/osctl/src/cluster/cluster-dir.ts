// A new cluster's directory, ~/.osctl/clusters/<name>/: `generated/` (the `gen config` output),
// `configs/` (what the config server serves), and one directory per node (its logs).
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "../cli-error.ts";
import { clusterDir } from "./cluster-state.ts";

export interface ClusterDirs {
  dir: string;
  generated: string;
  configs: string;
}

/**
 * Refuses a cluster whose state exists (it may still run); otherwise clears what a failed create
 * left and makes the directory afresh, `configs/` private (the configs hold the cluster's keys).
 */
export function createClusterDir(home: string, name: string): ClusterDirs {
  const dir = clusterDir(home, name);
  if (existsSync(join(dir, "state.json")))
    throw new CliError(
      "exists",
      `cluster "${name}" exists (${dir}); remove it with \`osctl cluster destroy --name ${name}\``,
    );
  rmSync(dir, { recursive: true, force: true });
  const dirs = { dir, generated: join(dir, "generated"), configs: join(dir, "configs") };
  mkdirSync(dirs.configs, { recursive: true, mode: 0o700 });
  return dirs;
}
