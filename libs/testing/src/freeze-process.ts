// Freezing a process for fault-injection tests (a containerd or an etcd that stops answering).
import { readdirSync, readFileSync } from "node:fs";

/** The state letter of a thread ("R", "S", "T"...), from /proc/<pid>/task/<tid>/stat. */
function threadState(pid: number, tid: string): string {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
  const end = stat.lastIndexOf(")");
  return stat.slice(end + 2, end + 3);
}

/**
 * Sends SIGSTOP to `pid` and resolves once every one of its threads is stopped: the signal takes
 * effect asynchronously, and a call may still be answered in between. SIGCONT thaws it.
 */
export async function freezeProcess(pid: number, timeoutMs = 5_000): Promise<void> {
  process.kill(pid, "SIGSTOP");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (readdirSync(`/proc/${pid}/task`).every((tid) => threadState(pid, tid) === "T")) return;
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not stop within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}
