// The client side of a local cluster: a context named after it, merged into the user's osconfig,
// whose endpoints are the nodes' forwarded apid ports.
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CliError } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { loadOsconfig, mergeOsconfig, parseOsconfig, saveOsconfig } from "../osconfig/osconfig.ts";
import type { ClusterPlan } from "./cluster-plan.ts";

/**
 * Takes the context `gen config` wrote (`generatedOsconfig`), points it at every node's apid on
 * 127.0.0.1, and merges it into `osconfigPath` as the current context (renamed if the name is
 * taken). Returns the context's name.
 */
export function mergeClusterContext(
  plan: ClusterPlan,
  generatedOsconfig: string,
  osconfigPath: string,
  io: Io,
): string {
  const generated = parseOsconfig(readFileSync(generatedOsconfig, "utf8"), "generated osconfig");
  const context = generated.contexts[plan.name];
  if (!context) throw new CliError("failed", "gen config wrote no context");
  context.endpoints = plan.nodes.map((n) => `127.0.0.1:${n.apidPort}`);
  context.nodes = [];
  const { config: merged, renamed } = mergeOsconfig(loadOsconfig(osconfigPath, { allowMissing: true }), {
    context: plan.name,
    contexts: { [plan.name]: context },
  });
  const contextName = renamed[plan.name] ?? plan.name;
  mkdirSync(resolve(osconfigPath, ".."), { recursive: true });
  saveOsconfig(osconfigPath, merged);
  io.stdout(`merged context "${contextName}" into ${osconfigPath}\n`);
  return contextName;
}
