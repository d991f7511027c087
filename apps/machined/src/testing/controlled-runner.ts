import type { ExitStatus, RunContext, RunHandle, Runner } from "../supervisor/service.ts";

/** One run of a ControlledRunner, ended by the test. */
export interface ControlledRun {
  readonly index: number;
  readonly ctx: RunContext;
  /** Whether `stop` was called on this run. */
  stopRequested: boolean;
  exit(status: ExitStatus | number): void;
  readonly exited: Promise<ExitStatus>;
}

/**
 * A runner driven by the test (for supervisor and boot-sequence tests): every start creates a run that
 * lasts until the test calls `exit`, or until stopped (when `obeyStop`, the default). `failStart`
 * makes the next starts throw.
 */
export class ControlledRunner implements Runner {
  readonly kind = "controlled";
  readonly runs: ControlledRun[] = [];
  #failStarts: string[] = [];
  #listeners: Array<(run: ControlledRun) => void> = [];

  constructor(readonly options: { obeyStop?: boolean; pid?: number } = {}) {}

  /** The next start throws `message`. */
  failNextStart(message: string): void {
    this.#failStarts.push(message);
  }

  get current(): ControlledRun | undefined {
    return this.runs[this.runs.length - 1];
  }

  /** Resolves with the `n`-th run (1-based) once it has started. */
  nthRun(n: number): Promise<ControlledRun> {
    const existing = this.runs[n - 1];
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const listener = (run: ControlledRun) => {
        if (run.index !== n) return;
        this.#listeners = this.#listeners.filter((l) => l !== listener);
        resolve(run);
      };
      this.#listeners.push(listener);
    });
  }

  async start(ctx: RunContext): Promise<RunHandle> {
    const failure = this.#failStarts.shift();
    if (failure !== undefined) throw new Error(failure);
    let settle: (status: ExitStatus) => void = () => {};
    const exited = new Promise<ExitStatus>((resolve) => {
      settle = resolve;
    });
    let done = false;
    const run: ControlledRun = {
      index: this.runs.length + 1,
      ctx,
      stopRequested: false,
      exited,
      exit(status) {
        if (done) return;
        done = true;
        settle(typeof status === "number" ? { code: status, signal: null } : status);
      },
    };
    this.runs.push(run);
    for (const listener of [...this.#listeners]) listener(run);
    const obeyStop = this.options.obeyStop ?? true;
    return {
      ...(this.options.pid !== undefined ? { pid: this.options.pid + run.index } : {}),
      exited,
      async stop() {
        run.stopRequested = true;
        if (obeyStop) run.exit({ code: null, signal: "SIGTERM" });
        return exited;
      },
    };
  }
}
