// containerd's Tasks service: a container's running process (and processes exec'd into it).
// Output goes to a log file that the shim writes (see logStdio); Bun never reads a FIFO.
import { closeSync, mkdirSync, openSync } from "node:fs";
import { basename, dirname, isAbsolute, normalize } from "node:path";
import type { CallOptions, Connection } from "./connection.ts";
import { validateIdentifier } from "./connection.ts";
import type { ContainersApi } from "./containers.ts";
import { mountToPb, toDate } from "./convert.ts";
import { ContainerdError } from "./errors.ts";
import { Tasks } from "./gen/github.com/containerd/containerd/api/services/tasks/v1/tasks_pb.ts";
import { Status } from "./gen/github.com/containerd/containerd/api/types/task/task_pb.ts";
import { runcOptionsAny } from "./runc-options.ts";
import type { SpecProcess } from "./runtime-spec.ts";
import { type Signal, signalNumber } from "./signals.ts";
import { processToAny } from "./spec-any.ts";
import { decodeTaskMetrics, type TaskMetrics } from "./task-metrics.ts";
import type { Mount } from "./types.ts";

export type TaskStatus = "created" | "running" | "stopped" | "paused" | "pausing" | "unknown";

export interface TaskInfo {
  containerId: string;
  pid: number;
  status: TaskStatus;
  /** Exit status, once stopped. */
  exitStatus?: number;
  exitedAt?: Date;
}

export interface ExitStatus {
  /** The process's exit code; 128 + n when killed by signal n. */
  exitStatus: number;
  exitedAt?: Date;
}

export interface CreateTaskOptions extends CallOptions {
  /** Mounts of the rootfs (from the container's snapshot); none for containers with a host rootfs path. */
  rootfs?: Mount[];
  /** Absolute path of the log file stdout and stderr are appended to (none: /dev/null). */
  logPath?: string;
}

export interface ExecOptions extends CallOptions {
  args: string[];
  /** Environment, replacing the container's when given (as "K=V"). */
  env?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Absolute path of the log file the process's stdout and stderr are appended to. */
  logPath?: string;
}

const STATUSES: Record<Status, TaskStatus> = {
  [Status.UNKNOWN]: "unknown",
  [Status.CREATED]: "created",
  [Status.RUNNING]: "running",
  [Status.STOPPED]: "stopped",
  [Status.PAUSED]: "paused",
  [Status.PAUSING]: "pausing",
};

/**
 * stdout and stderr paths for a process logging to `logPath`.
 *
 * Not `file://` URIs, although that is what containerd offers for log files: containerd 1.6's shim
 * then writes both streams through one descriptor and closes it when the first stream ends, so
 * output still in flight on the other one is lost (seen here: a trailing stderr line missing in
 * about 1 run of 30). Instead the shim gets two plain paths naming the same file, spelled
 * differently, so that it opens the file once per stream, each with O_APPEND (atomic appends).
 * The shim opens plain paths without creating them: the file is created here (the lib runs on the
 * machine containerd runs on). Bun never reads a FIFO this way (docs/design.md §8).
 */
export function logStdio(op: string, logPath: string | undefined): { stdout: string; stderr: string } {
  if (logPath === undefined) return { stdout: "", stderr: "" };
  if (!isAbsolute(logPath))
    throw new ContainerdError("InvalidArgument", op, `log path ${JSON.stringify(logPath)} must be absolute`);
  const path = normalize(logPath);
  try {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(path, "a", 0o640));
  } catch (e) {
    throw new ContainerdError(
      "InvalidArgument",
      op,
      `cannot create log file ${path}: ${(e as Error).message}`,
    );
  }
  // (path.join would normalise the "/./" away)
  return { stdout: path, stderr: `${dirname(path)}/./${basename(path)}` };
}

function exit(status: number, at: Parameters<typeof toDate>[0]): ExitStatus {
  const out: ExitStatus = { exitStatus: status };
  const d = toDate(at);
  // containerd reports the zero time for processes that have not exited
  if (d && d.getTime() > 0) out.exitedAt = d;
  return out;
}

export class TasksApi {
  constructor(
    private readonly conn: Connection,
    private readonly containers: ContainersApi,
  ) {}

  /** Creates the container's task (its init process, not started yet). */
  async create(containerId: string, options: CreateTaskOptions = {}): Promise<TaskInfo> {
    const op = `tasks.create ${JSON.stringify(containerId)}`;
    const io = logStdio(op, options.logPath);
    const res = await this.conn.call(op, () =>
      this.conn.client(Tasks).create(
        {
          containerId,
          rootfs: (options.rootfs ?? []).map(mountToPb),
          ...io,
          ...(this.conn.runcRoot !== undefined
            ? { options: runcOptionsAny({ root: this.conn.runcRoot }) }
            : {}),
        },
        this.conn.options(options, { timeoutMs: Math.max(this.conn.timeoutMs, 30_000) }),
      ),
    );
    return { containerId, pid: res.pid, status: "created" };
  }

  /** Starts the task (or exec'd process `execId`); returns its pid. */
  async start(containerId: string, options: CallOptions & { execId?: string } = {}): Promise<number> {
    const op = `tasks.start ${JSON.stringify(containerId)}${options.execId ? ` exec ${options.execId}` : ""}`;
    const res = await this.conn.call(op, () =>
      this.conn
        .client(Tasks)
        .start({ containerId, execId: options.execId ?? "" }, this.conn.options(options)),
    );
    return res.pid;
  }

  /** Signals the task (default SIGTERM); `all` signals every process in the container. */
  async kill(
    containerId: string,
    signal: Signal = "SIGTERM",
    options: CallOptions & { all?: boolean; execId?: string } = {},
  ): Promise<void> {
    const op = `tasks.kill ${JSON.stringify(containerId)}`;
    const n = signalNumber(signal, op);
    await this.conn.call(op, () =>
      this.conn
        .client(Tasks)
        .kill(
          { containerId, execId: options.execId ?? "", signal: n, all: options.all ?? false },
          this.conn.options(options),
        ),
    );
  }

  /**
   * Waits for the task (or exec'd process) to exit. Waiting is open-ended by nature: the deadline
   * is `timeoutMs` when given, none otherwise (abort with `signal`).
   */
  async wait(containerId: string, options: CallOptions & { execId?: string } = {}): Promise<ExitStatus> {
    const op = `tasks.wait ${JSON.stringify(containerId)}`;
    const res = await this.conn.read(op, () =>
      this.conn
        .client(Tasks)
        .wait(
          { containerId, execId: options.execId ?? "" },
          this.conn.options(options, { timeoutMs: options.timeoutMs ?? Number.POSITIVE_INFINITY }),
        ),
    );
    return exit(res.exitStatus, res.exitedAt);
  }

  /** Deletes a stopped task (FailedPrecondition while it runs); returns its exit status. */
  async remove(containerId: string, options?: CallOptions): Promise<ExitStatus> {
    const op = `tasks.remove ${JSON.stringify(containerId)}`;
    const res = await this.conn.call(op, () =>
      this.conn.client(Tasks).delete({ containerId }, this.conn.options(options)),
    );
    return exit(res.exitStatus, res.exitedAt);
  }

  async get(containerId: string, options?: CallOptions): Promise<TaskInfo> {
    const op = `tasks.get ${JSON.stringify(containerId)}`;
    const res = await this.conn.read(op, () =>
      this.conn.client(Tasks).get({ containerId, execId: "" }, this.conn.options(options)),
    );
    return taskFromPb(res.process, containerId);
  }

  async list(options?: CallOptions): Promise<TaskInfo[]> {
    const res = await this.conn.read("tasks.list", () =>
      this.conn.client(Tasks).list({ filter: "" }, this.conn.options(options)),
    );
    return res.tasks
      .map((t) => taskFromPb(t, t.containerId || t.id))
      .sort((a, b) => a.containerId.localeCompare(b.containerId));
  }

  /**
   * Creates process `execId` in the running task, based on the container's process spec with the
   * given overrides. Start it with start({ execId }), wait with wait({ execId }), then removeProcess.
   */
  async exec(containerId: string, execId: string, options: ExecOptions): Promise<void> {
    const op = `tasks.exec ${JSON.stringify(containerId)} ${JSON.stringify(execId)}`;
    validateIdentifier(op, "exec id", execId);
    if (options.args.length === 0) throw new ContainerdError("InvalidArgument", op, "exec needs args");
    const container = await this.containers.get(containerId, options).catch((e) => {
      throw e instanceof ContainerdError ? new ContainerdError(e.code, op, e.detail, { cause: e }) : e;
    });
    const base: SpecProcess = container.spec?.process ?? { user: { uid: 0, gid: 0 }, args: [], cwd: "/" };
    const process: SpecProcess = {
      ...base,
      args: options.args,
      env: options.env ?? base.env,
      cwd: options.cwd ?? base.cwd,
      user: { ...base.user, uid: options.uid ?? base.user.uid, gid: options.gid ?? base.user.gid },
      terminal: false,
    };
    const io = logStdio(op, options.logPath);
    await this.conn.call(op, () =>
      this.conn
        .client(Tasks)
        .exec({ containerId, execId, ...io, spec: processToAny(process) }, this.conn.options(options)),
    );
  }

  /** Deletes an exited exec'd process; returns its exit status. */
  async removeProcess(containerId: string, execId: string, options?: CallOptions): Promise<ExitStatus> {
    const op = `tasks.removeProcess ${JSON.stringify(containerId)} ${JSON.stringify(execId)}`;
    const res = await this.conn.call(op, () =>
      this.conn.client(Tasks).deleteProcess({ containerId, execId }, this.conn.options(options)),
    );
    return exit(res.exitStatus, res.exitedAt);
  }

  /** Pids of every process in the container. */
  async pids(containerId: string, options?: CallOptions): Promise<number[]> {
    const res = await this.conn.read(`tasks.pids ${JSON.stringify(containerId)}`, () =>
      this.conn.client(Tasks).listPids({ containerId }, this.conn.options(options)),
    );
    return res.processes.map((p) => p.pid).sort((a, b) => a - b);
  }

  /** CPU, memory and pids statistics of the task's cgroup. */
  async metrics(containerId: string, options?: CallOptions): Promise<TaskMetrics> {
    const op = `tasks.metrics ${JSON.stringify(containerId)}`;
    const res = await this.conn.read(op, () =>
      this.conn.client(Tasks).metrics({ filters: [`id==${containerId}`] }, this.conn.options(options)),
    );
    const m = res.metrics.find((x) => x.id === containerId);
    if (!m) throw new ContainerdError("NotFound", op, `no task for container ${JSON.stringify(containerId)}`);
    return decodeTaskMetrics(containerId, toDate(m.timestamp), m.data);
  }
}

function taskFromPb(
  p:
    | {
        containerId: string;
        id: string;
        pid: number;
        status: Status;
        exitStatus: number;
        exitedAt?: Parameters<typeof toDate>[0];
      }
    | undefined,
  containerId: string,
): TaskInfo {
  const status = STATUSES[p?.status ?? Status.UNKNOWN];
  const out: TaskInfo = { containerId: p?.containerId || containerId, pid: p?.pid ?? 0, status };
  if (status === "stopped") Object.assign(out, exit(p?.exitStatus ?? 0, p?.exitedAt));
  return out;
}
