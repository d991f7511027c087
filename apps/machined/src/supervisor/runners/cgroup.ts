import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { RunnerError } from "./runner-error.ts";

export interface CgroupLimits {
  /** memory.max in bytes, or "max". */
  readonly memoryMax?: number | "max";
  /** pids.max, or "max". */
  readonly pidsMax?: number | "max";
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * A service's own cgroup v2 directory, `<root>/<id>`. The root can be the real hierarchy
 * (/sys/fs/cgroup or a delegated sub-tree) or a plain directory (tests, container mode).
 */
export class ServiceCgroup {
  readonly path: string;

  constructor(
    readonly root: string,
    readonly id: string,
  ) {
    if (!ID_PATTERN.test(id) || id === "." || id === "..") {
      throw new RunnerError(
        "InvalidOptions",
        `cgroup name ${JSON.stringify(id)} is not a valid directory name`,
      );
    }
    this.path = `${root.replace(/\/+$/, "")}/${id}`;
  }

  /** Creates the directory and writes the limits, enabling the needed controllers in the root if it can. */
  prepare(limits: CgroupLimits = {}): void {
    try {
      mkdirSync(this.path, { recursive: true });
    } catch (err) {
      throw new RunnerError("CgroupFailed", `cannot create cgroup ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (limits.memoryMax !== undefined) this.#setLimit("memory", "memory.max", limits.memoryMax);
    if (limits.pidsMax !== undefined) this.#setLimit("pids", "pids.max", limits.pidsMax);
  }

  #setLimit(controller: string, file: string, value: number | "max"): void {
    if (value !== "max" && !(Number.isInteger(value) && value > 0)) {
      throw new RunnerError("InvalidOptions", `${file} must be a positive integer or "max", got ${value}`);
    }
    this.#enableController(controller);
    const target = `${this.path}/${file}`;
    try {
      writeFileSync(target, String(value));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === "EACCES" || code === "ENOENT"
          ? `the ${controller} controller is not enabled for ${this.root} (see its cgroup.subtree_control)`
          : (err as Error).message;
      throw new RunnerError("CgroupFailed", `cannot set ${target} to ${value}: ${why}`, { cause: err });
    }
  }

  /** Adds "+<controller>" to the root's subtree_control when available there but not yet enabled. */
  #enableController(controller: string): void {
    const available = readWords(`${this.root}/cgroup.controllers`);
    if (available === undefined || !available.includes(controller)) return;
    if (readWords(`${this.root}/cgroup.subtree_control`)?.includes(controller)) return;
    try {
      writeFileSync(`${this.root}/cgroup.subtree_control`, `+${controller}`);
    } catch {
      // Reported precisely when the limit file turns out to be missing.
    }
  }

  /** Moves a process into the cgroup (a no-op when it was spawned there); ignores exited processes. */
  addProcess(pid: number): void {
    try {
      writeFileSync(`${this.path}/cgroup.procs`, String(pid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") return;
      throw new RunnerError(
        "CgroupFailed",
        `cannot add pid ${pid} to ${this.path}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** The pids in the cgroup. */
  procs(): number[] {
    return (readWords(`${this.path}/cgroup.procs`) ?? []).map(Number).filter(Number.isInteger);
  }

  /** SIGKILLs everything in the cgroup (cgroup.kill, Linux >= 5.14); false when not supported here. */
  kill(): boolean {
    const file = `${this.path}/cgroup.kill`;
    if (!existsSync(file)) return false;
    try {
      writeFileSync(file, "1");
      return true;
    } catch {
      return false;
    }
  }
}

function readWords(path: string): string[] | undefined {
  try {
    return readFileSync(path, "utf8")
      .split(/\s+/)
      .filter((w) => w !== "");
  } catch {
    return undefined;
  }
}
