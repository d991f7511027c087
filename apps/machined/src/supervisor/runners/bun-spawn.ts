import type { ChildTracker } from "../../sys/child-tracker.ts";
import type { ExitStatus } from "../service.ts";
import type { SpawnedProcess, SpawnFn, SpawnRequest } from "./spawn.ts";

export interface BunSpawnOptions {
  /** Registers every child so that the orphan reaper leaves its exit status to Bun. */
  readonly tracker?: ChildTracker;
}

/**
 * The real spawn: Bun.spawn in a new session (so that stop signals reach the whole process group),
 * stdin from /dev/null, stdout and stderr piped, optionally straight into a cgroup.
 */
export function createBunSpawn(options: BunSpawnOptions = {}): SpawnFn {
  return (request: SpawnRequest): SpawnedProcess => {
    const proc = Bun.spawn({
      cmd: [...request.cmd],
      env: { ...request.env },
      ...(request.cwd !== undefined ? { cwd: request.cwd } : {}),
      ...(request.uid !== undefined ? { uid: request.uid } : {}),
      ...(request.gid !== undefined ? { gid: request.gid } : {}),
      ...(request.cgroup !== undefined ? { cgroup: request.cgroup } : {}),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
    });
    const exited = proc.exited.then(
      (): ExitStatus => ({
        code: proc.signalCode !== null ? null : proc.exitCode,
        signal: proc.signalCode === null ? null : String(proc.signalCode),
      }),
    );
    options.tracker?.trackUntil(proc.pid, exited);
    return {
      pid: proc.pid,
      stdout: proc.stdout,
      stderr: proc.stderr,
      exited,
      signal(signal: NodeJS.Signals) {
        try {
          process.kill(-proc.pid, signal);
        } catch {
          // The group may be gone already while the leader is still being collected.
          try {
            proc.kill(signal);
          } catch {}
        }
      },
    };
  };
}
