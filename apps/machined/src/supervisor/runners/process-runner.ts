import { type Clock, systemClock } from "../../clock.ts";
import { LineSplitter } from "../logs/line-splitter.ts";
import type { ExitStatus, LogStream, RunContext, RunHandle, Runner } from "../service.ts";
import { type CgroupLimits, ServiceCgroup } from "./cgroup.ts";
import { RunnerError } from "./runner-error.ts";
import type { SpawnedProcess, SpawnFn } from "./spawn.ts";

export interface ProcessRunnerOptions {
  readonly cmd: readonly string[];
  /** The whole environment of the process (default: PATH only). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
  /** The real one is `createBunSpawn({ tracker })`. */
  readonly spawn: SpawnFn;
  readonly clock?: Clock;
  /** Run in `<root>/<service id>`, with these limits. */
  readonly cgroup?: { readonly root: string } & CgroupLimits;
  /** After exit, how long to wait for the last output (a grandchild may hold the pipes; default 1 s). */
  readonly drainTimeoutMs?: number;
}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Runs a service as a child process: its own session and cgroup, given uid/gid, output line by line to
 * the service log. Stopping sends SIGTERM to the process group, then SIGKILL (and cgroup.kill) after
 * the grace period.
 */
export class ProcessRunner implements Runner {
  readonly kind = "process";
  readonly #options: ProcessRunnerOptions;
  readonly #clock: Clock;

  constructor(options: ProcessRunnerOptions) {
    if (options.cmd.length === 0 || options.cmd[0] === "") {
      throw new RunnerError("InvalidOptions", "ProcessRunner: cmd must name a program");
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  async start(ctx: RunContext): Promise<RunHandle> {
    const o = this.#options;
    const clock = this.#clock;
    let cgroup: ServiceCgroup | undefined;
    if (o.cgroup !== undefined) {
      cgroup = new ServiceCgroup(o.cgroup.root, ctx.id);
      cgroup.prepare(o.cgroup);
    }

    let proc: SpawnedProcess;
    try {
      proc = o.spawn({
        cmd: o.cmd,
        env: o.env ?? { PATH: DEFAULT_PATH },
        ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
        ...(o.uid !== undefined ? { uid: o.uid } : {}),
        ...(o.gid !== undefined ? { gid: o.gid } : {}),
        ...(cgroup !== undefined ? { cgroup: cgroup.path } : {}),
      });
    } catch (err) {
      throw new RunnerError("SpawnFailed", `cannot start ${o.cmd[0]}: ${(err as Error).message}`, {
        cause: err,
      });
    }

    if (cgroup !== undefined) {
      try {
        cgroup.addProcess(proc.pid);
      } catch (err) {
        // It may still run, outside its cgroup: say so in its log rather than kill it.
        ctx.log.line("system", (err as Error).message);
      }
    }

    const drained = Promise.all([pump(proc.stdout, "stdout", ctx), pump(proc.stderr, "stderr", ctx)]).then(
      () => true,
    );
    const drainTimeoutMs = o.drainTimeoutMs ?? 1000;
    const exited = proc.exited.then(async (status) => {
      const stopDrainWait = new AbortController();
      await Promise.race([drained, clock.sleep(drainTimeoutMs, stopDrainWait.signal)]);
      stopDrainWait.abort();
      // Whatever the main process left behind in its cgroup goes with it.
      if (cgroup !== undefined && cgroup.procs().length > 0) cgroup.kill();
      return status;
    });

    let finished = false;
    void exited.then(() => {
      finished = true;
    });

    return {
      pid: proc.pid,
      exited,
      async stop(graceMs: number): Promise<ExitStatus> {
        if (finished) return exited;
        proc.signal("SIGTERM");
        const waitGrace = new AbortController();
        const inTime = await Promise.race([
          proc.exited.then(() => true),
          clock.sleep(graceMs, waitGrace.signal).then(() => false),
        ]);
        waitGrace.abort();
        if (!inTime) {
          ctx.log.line("system", `still running ${graceMs} ms after SIGTERM: sending SIGKILL`);
          proc.signal("SIGKILL");
          cgroup?.kill();
        }
        return exited;
      },
    };
  }
}

async function pump(
  stream: ReadableStream<Uint8Array> | null,
  name: LogStream,
  ctx: RunContext,
): Promise<void> {
  if (stream === null) return;
  const splitter = new LineSplitter((text) => ctx.log.line(name, text));
  try {
    for await (const chunk of stream) splitter.push(chunk);
  } catch {
    // A broken pipe ends the output; the exit status says what happened.
  } finally {
    splitter.end();
  }
}
