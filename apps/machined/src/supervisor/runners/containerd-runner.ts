import { closeSync, mkdirSync, openSync, readSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  type ContainerdClient,
  type CreateContainerOptions,
  isContainerdError,
} from "@bronze/containerd-client";
import { type Clock, systemClock } from "../../clock.ts";
import { LineSplitter } from "../logs/line-splitter.ts";
import type { ExitStatus, RunContext, RunHandle, Runner } from "../service.ts";
import { RunnerError } from "./runner-error.ts";

export interface ContainerdRunnerOptions {
  /** A client in the namespace the container lives in (machined's shared connection). */
  readonly client: () => Promise<ContainerdClient>;
  /** The container, its id excepted (the service's id is used); evaluated at each start. */
  readonly container: () => Omit<CreateContainerOptions, "id"> | Promise<Omit<CreateContainerOptions, "id">>;
  /** The file the shim writes the task's stdout and stderr to; truncated at each start and tailed. */
  readonly logPath: string;
  readonly clock?: Clock;
  /** How often the log file is read for new lines (default 200 ms). */
  readonly tailIntervalMs?: number;
  /** Deadline of creating and starting the task (default TASK_START_TIMEOUT_MS). */
  readonly taskStartTimeoutMs?: number;
  /**
   * Removes what a cancelled create of this id left in containerd's task directories (see
   * `clearStaleTaskBundle`); called before each create, once containerd holds no container of the id.
   */
  readonly clearStaleTask?: (id: string) => void;
  /** While containerd is down under a running task, how often it is asked again (default REATTACH_POLL_MS). */
  readonly reattachPollMs?: { readonly initialMs: number; readonly maxMs: number };
}

/** containerd is asked again after 250 ms, doubling to 2 s, until it is back. */
export const REATTACH_POLL_MS = { initialMs: 250, maxMs: 2000 } as const;

/**
 * How long containerd may take to create and start a task. A loaded node (measured: a TCG guest
 * sharing 2 cores with 5 others, just after a reboot) took over 30 s to start apid's shim; a
 * deadline cancelling containerd's create midway leaves the task's bundle directory behind
 * (containerd 1.6), and every later create of that id fails with "mkdir <bundle>: file exists".
 */
export const TASK_START_TIMEOUT_MS = 180_000;

/** Signal names for the exit statuses containerd reports as 128 + n. */
const SIGNALS: Readonly<Record<number, string>> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  6: "SIGABRT",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  15: "SIGTERM",
};

/** containerd's exit status as the supervisor's: 128 + n for the signals above is "killed by". */
export function exitFromContainerd(status: number): ExitStatus {
  const signal = status > 128 ? SIGNALS[status - 128] : undefined;
  return signal !== undefined ? { code: null, signal } : { code: status, signal: null };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Reads what was appended to a file since the last call, a line at a time, into `onLine`. */
class FileTail {
  #offset = 0;
  readonly #splitter: LineSplitter;
  readonly #buffer = new Uint8Array(64 * 1024);

  constructor(
    readonly path: string,
    onLine: (line: string) => void,
  ) {
    this.#splitter = new LineSplitter(onLine);
  }

  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch {
      return;
    }
    try {
      for (;;) {
        const n = readSync(fd, this.#buffer, 0, this.#buffer.length, this.#offset);
        if (n <= 0) break;
        this.#offset += n;
        this.#splitter.push(this.#buffer.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }

  end(): void {
    this.poll();
    this.#splitter.end();
  }
}

/**
 * Runs a service as a containerd container (docs/design.md §3): a stale container of the same id is
 * removed, the container created and its task started with output to a log file, whose lines are
 * forwarded to the service log. The run ends with the task (exit status from containerd); stopping
 * sends SIGTERM, then SIGKILL to every process of the container after the grace period. The task and
 * the container are deleted when the run ends. A containerd crash does not end the run: its shim keeps
 * the task, and the run re-attaches to it (the same process) when containerd is back.
 */
export class ContainerdRunner implements Runner {
  readonly kind = "containerd";
  readonly #options: ContainerdRunnerOptions;
  readonly #clock: Clock;

  constructor(options: ContainerdRunnerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  async start(ctx: RunContext): Promise<RunHandle> {
    const o = this.#options;
    const clock = this.#clock;
    const id = ctx.id;
    let client: ContainerdClient;
    let spec: Omit<CreateContainerOptions, "id">;
    try {
      client = await o.client();
      spec = await o.container();
    } catch (err) {
      throw new RunnerError("SpawnFailed", `cannot prepare container ${id}: ${message(err)}`, { cause: err });
    }

    // A container left by a previous machined (crash, kill -9) holds the id: remove it.
    await removeQuietly(client, id).catch((err) => {
      throw new RunnerError("SpawnFailed", `cannot remove the stale container ${id}: ${message(err)}`, {
        cause: err,
      });
    });

    try {
      o.clearStaleTask?.(id);
    } catch (err) {
      throw new RunnerError(
        "SpawnFailed",
        `cannot remove the stale task directory of ${id}: ${message(err)}`,
        {
          cause: err,
        },
      );
    }

    mkdirSync(dirname(o.logPath), { recursive: true, mode: 0o755 });
    writeFileSync(o.logPath, "", { mode: 0o640 });
    const tail = new FileTail(o.logPath, (line) => ctx.log.line("stdout", line));

    let pid: number;
    try {
      await client.createContainer({ ...spec, id });
      pid = (
        await client.startTask(id, {
          logPath: o.logPath,
          timeoutMs: o.taskStartTimeoutMs ?? TASK_START_TIMEOUT_MS,
        })
      ).pid;
    } catch (err) {
      tail.end();
      await removeQuietly(client, id).catch(() => {});
      throw new RunnerError("SpawnFailed", `cannot start container ${id}: ${message(err)}`, { cause: err });
    }

    const ended = new AbortController();
    void (async () => {
      while (await clock.sleep(o.tailIntervalMs ?? 200, ended.signal)) tail.poll();
    })();

    let finished = false;
    // The last signal stop() sent: sent again on re-attaching (containerd may have been down then).
    let stopSignal: "SIGTERM" | "SIGKILL" | undefined;
    const kill = (signal: "SIGTERM" | "SIGKILL") => {
      stopSignal = signal;
      return client.tasks.kill(id, signal, { all: signal === "SIGKILL" }).catch(() => {});
    };
    // Stopped, and containerd still not back a grace period after the SIGKILL: stop watching.
    const giveUp = new AbortController();
    const lost = (why: string): ExitStatus => ({ code: null, signal: null, error: `Lost the task: ${why}` });

    /**
     * containerd went away under the wait (crashed, restarting): its shim, and the task, live on. Asks
     * containerd again, backing off, until it answers about the task: the task as it found it, or why
     * the run is over (the task is gone).
     */
    const whenContainerdIsBack = async (): Promise<{ readonly pid: number } | ExitStatus> => {
      const { initialMs, maxMs } = o.reattachPollMs ?? REATTACH_POLL_MS;
      for (let delay = initialMs; ; delay = Math.min(delay * 2, maxMs)) {
        if (!(await clock.sleep(delay, giveUp.signal)))
          return lost("containerd did not come back to end it after it was stopped");
        try {
          return await client.tasks.get(id);
        } catch (err) {
          if (isContainerdError(err, "NotFound"))
            return lost(`the task was gone when containerd came back (${message(err)})`);
          // Unavailable, or not answering yet: containerd is still on its way back.
        }
      }
    };

    /** The task's exit, waited for across containerd restarts. Never rejects. */
    const watch = async (): Promise<ExitStatus> => {
      for (;;) {
        try {
          return exitFromContainerd((await client.tasks.wait(id)).exitStatus);
        } catch (err) {
          if (!isContainerdError(err, "Unavailable")) return lost(message(err));
          const waiting = `containerd is unavailable: the task (pid ${pid}) runs on; re-attaching to it once containerd is back`;
          ctx.log.line("system", `${waiting} (${message(err)})`);
          ctx.problem?.(waiting);
        }
        const back = await whenContainerdIsBack();
        if (!("pid" in back)) return back;
        if (back.pid !== pid) return lost(`containerd came back with another task (pid ${back.pid})`);
        ctx.log.line("system", `containerd is back: re-attached to the task (pid ${pid})`);
        ctx.recovered?.(`Re-attached to the task (pid ${pid}) after containerd came back`);
        if (stopSignal !== undefined) await kill(stopSignal);
      }
    };
    const taskEnded: Promise<ExitStatus> = watch().catch((err) => lost(message(err)));
    const exited = taskEnded.then(async (status) => {
      ended.abort();
      tail.end();
      await removeQuietly(client, id).catch((err) =>
        ctx.log.line("system", `cannot remove container ${id}: ${message(err)}`),
      );
      finished = true;
      return status;
    });

    return {
      pid,
      exited,
      async stop(graceMs: number): Promise<ExitStatus> {
        if (finished) return exited;
        await kill("SIGTERM");
        const endedWithin = async (ms: number) => {
          const waitGrace = new AbortController();
          const inTime = await Promise.race([
            taskEnded.then(() => true),
            clock.sleep(ms, waitGrace.signal).then(() => false),
          ]);
          waitGrace.abort();
          return inTime;
        };
        if (!(await endedWithin(graceMs))) {
          ctx.log.line("system", `still running ${graceMs} ms after SIGTERM: sending SIGKILL`);
          await kill("SIGKILL");
          if (!(await endedWithin(graceMs))) giveUp.abort();
        }
        return exited;
      },
    };
  }
}

/** Removes a container with its task (killed), if there is one. */
async function removeQuietly(client: ContainerdClient, id: string): Promise<void> {
  try {
    await client.removeContainer(id, { force: true });
  } catch (err) {
    if (!isContainerdError(err, "NotFound")) throw err;
  }
}
