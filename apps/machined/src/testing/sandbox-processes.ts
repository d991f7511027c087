// What a container-mode machined under a sandbox root left running: its own processes (their command
// line mentions the root) and its containers' (apid's /usr/bin/apid does not; they are in the cgroups
// of the sandbox's containerd namespace). One helper for every test that starts such a machined.
import { killProcesses, processesInCgroup, processesMentioning } from "@bronze/testing";
import { sandboxNamespace } from "../services/system-containers.ts";

/** Pids of machined, containerd and the shims under `root`, and of its containers' processes. */
export function sandboxProcesses(root: string): number[] {
  return [...new Set([...processesMentioning(root), ...processesInCgroup(sandboxNamespace(root))])];
}

/** SIGKILLs whatever `sandboxProcesses` finds (a failed test's leftovers); returns how many. */
export function killSandbox(root: string): number {
  return killProcesses(sandboxProcesses(root));
}
