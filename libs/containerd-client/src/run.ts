// Run a container to completion: create, start, wait, and (by default) remove it.
import {
  type CreateContainerOptions,
  createContainerWithRootfs,
  type LifecycleDeps,
  removeContainer,
  startTask,
} from "./container-lifecycle.ts";
import { ContainerdError, isContainerdError } from "./errors.ts";
import { signalOfExitStatus } from "./signals.ts";

export interface RunOptions extends CreateContainerOptions {
  /** Log file the task's stdout and stderr are appended to (none: discarded). */
  logPath?: string;
  /** Remove the container (task, record, snapshot) afterwards (default true). */
  remove?: boolean;
  /** Kill the task (SIGKILL) when it runs longer than this, failing with DeadlineExceeded. */
  runTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunResult {
  exitStatus: number;
  exitedAt?: Date;
  /** Name of the signal that ended the task (exit status 128 + n), if any. */
  signal?: string;
  pid: number;
}

export async function runContainer(deps: LifecycleDeps, o: RunOptions): Promise<RunResult> {
  const { container, rootfs } = await createContainerWithRootfs(deps, o);
  const call = o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs };
  let result: RunResult;
  try {
    const task = await startTask(deps, o.id, {
      ...call,
      rootfs,
      ...(o.logPath ? { logPath: o.logPath } : {}),
    });
    let exit: Awaited<ReturnType<typeof deps.tasks.wait>>;
    try {
      exit = await deps.tasks.wait(o.id, {
        ...(o.runTimeoutMs !== undefined ? { timeoutMs: o.runTimeoutMs } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } catch (e) {
      await deps.tasks.kill(o.id, "SIGKILL", { all: true }).catch(() => {});
      await deps.tasks.wait(o.id, { timeoutMs: 10_000 }).catch(() => {});
      if (isContainerdError(e, "DeadlineExceeded"))
        throw new ContainerdError(
          "DeadlineExceeded",
          `run ${JSON.stringify(o.id)}`,
          `the task ran longer than ${o.runTimeoutMs} ms and was killed`,
          { cause: e },
        );
      throw e;
    }
    const sig = signalOfExitStatus(exit.exitStatus);
    result = { ...exit, pid: task.pid, ...(sig ? { signal: sig } : {}) };
  } catch (e) {
    // The run's own error matters more than a failure to clean up after it.
    if (o.remove ?? true) await removeContainer(deps, o.id, { ...call, force: true }).catch(() => {});
    throw e;
  }
  if (o.remove ?? true) {
    // The task has exited: remove it, then the record and the snapshot, without looking them up again.
    await deps.tasks.remove(o.id, call);
    await Promise.all([
      deps.containers.remove(o.id, call),
      container.snapshotKey
        ? deps.snapshots
            .remove(container.snapshotKey, { ...call, snapshotter: container.snapshotter })
            .catch((e) => {
              if (!isContainerdError(e, "NotFound")) throw e;
            })
        : undefined,
    ]);
  }
  return result;
}
