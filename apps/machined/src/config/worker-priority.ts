// The config worker's thread yields the CPU to PID 1's event loop: it runs at a lower priority (a
// higher nice value) than the rest of machined. On two cores shared with apid and the callers, the
// event loop waited for a CPU half of the time while a worker validated 1 MiB configs (its run-queue
// delay in /proc/<pid>/task/<tid>/schedstat; hostile bench, issue 10). Linux applies setpriority to one
// thread when given its thread id.
import { dlopen } from "bun:ffi";

/** The worker's nice value: below the event loop's 0, above nothing else machined runs. */
export const CONFIG_WORKER_NICE = 10;

const PRIO_PROCESS = 0;

/**
 * Sets the calling thread's nice value. Returns undefined, or why it could not (the worker goes on at
 * its priority: this is a preference, never a reason to refuse a config).
 */
export function setThisThreadNice(nice: number, libcPath = "libc.so.6"): string | undefined {
  try {
    const libc = dlopen(libcPath, {
      gettid: { args: [], returns: "i32" },
      setpriority: { args: ["i32", "u32", "i32"], returns: "i32" },
    });
    try {
      const tid = libc.symbols.gettid();
      if (libc.symbols.setpriority(PRIO_PROCESS, tid, nice) !== 0)
        return `setpriority(${tid}, ${nice}) failed`;
      return undefined;
    } finally {
      libc.close();
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
