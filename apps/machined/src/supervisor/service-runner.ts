import type { Clock } from "../clock.ts";
import { untilAborted } from "./condition.ts";
import { monitorHealth } from "./health-check.ts";
import { RestartPolicy, type RunOutcome } from "./restart-policy.ts";
import {
  describeExit,
  type ExitStatus,
  isSuccess,
  type LogSink,
  type RunHandle,
  type ServiceDefinition,
  type ServiceStatus,
  SkipServiceError,
} from "./service.ts";
import { canTransition, type ServiceEvent, type ServiceHealth, type ServiceState } from "./service-state.ts";

/** How a service runner sees the others: whether they are up, and when anything changes. */
export interface DependencyView {
  isUp(id: string): boolean;
  /** Calls `listener` after any service's state or health changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export interface ServiceRunnerOptions {
  readonly clock: Clock;
  readonly log: LogSink;
  readonly emit: (event: Omit<ServiceEvent, "seq">) => void;
  readonly deps: DependencyView;
  /** Default grace period between SIGTERM and SIGKILL. */
  readonly stopGraceMs: number;
  /** Bugs (an impossible transition, an unexpected throw) are reported here; nothing is thrown. */
  readonly onInternalError?: (error: unknown) => void;
}

interface Lifecycle {
  readonly abort: AbortController;
  stopping: boolean;
  graceMs: number;
  done: Promise<void>;
  /** Resolves when a stopped run has outlived its grace period plus a margin: it is given up on. */
  abandoned: Promise<ExitStatus>;
  abandon(exit: ExitStatus): void;
}

/** What a running service reported it is stuck on (RunContext.problem), and how often. */
interface Problem {
  readonly message: string;
  count: number;
  /** Wall-clock ms of the first report of this message. */
  readonly since: number;
}

/** The status message of a problem: repeats are counted, not repeated. */
function problemText(p: Problem): string {
  return p.count === 1
    ? p.message
    : `${p.message} (${p.count} times since ${new Date(p.since).toISOString()})`;
}

/** How long past its grace period a run that will not exit is waited for before it is abandoned. */
export const ABANDON_MARGIN_MS = 2000;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Drives one service through its life: wait for its dependencies to be up and its condition to hold,
 * run `pre`, start the runner, watch health, and on exit apply the restart policy. Never throws: every
 * failure becomes a Failed state with its message.
 */
export class ServiceRunner {
  readonly definition: ServiceDefinition;
  readonly #o: ServiceRunnerOptions;
  readonly #policy: RestartPolicy;
  #state: ServiceState = "Initialized";
  #message = "";
  #since: number;
  #health: ServiceHealth | undefined;
  #runs = 0;
  #lastExit: ExitStatus | undefined;
  #finishedOk = false;
  #handle: RunHandle | undefined;
  #life: Lifecycle | undefined;
  /** The run in progress (its reports are ignored once it has ended). */
  #run: object | undefined;
  #problem: Problem | undefined;

  constructor(definition: ServiceDefinition, options: ServiceRunnerOptions) {
    this.definition = definition;
    this.#o = options;
    this.#policy = new RestartPolicy(definition.restart, definition.backoff);
    this.#since = options.clock.now();
  }

  get id(): string {
    return this.definition.id;
  }

  get state(): ServiceState {
    return this.#state;
  }

  /** Whether a lifecycle is in progress (waiting, preparing, running, restarting or stopping). */
  get active(): boolean {
    return this.#life !== undefined;
  }

  /**
   * Whether dependents may start. A task (`untilSuccess`) is up once it has finished successfully; other
   * services while running (and healthy, when checked); a `once` service also after finishing successfully.
   */
  get up(): boolean {
    if (this.#state === "Finished") return this.#finishedOk;
    if (this.#state !== "Running" || this.definition.restart === "untilSuccess") return false;
    return this.definition.healthCheck === undefined || this.#health?.healthy === true;
  }

  get status(): ServiceStatus {
    return {
      id: this.id,
      state: this.#state,
      message: this.#message,
      since: this.#since,
      health: this.#health,
      up: this.up,
      pid: this.#handle?.pid,
      runs: this.#runs,
      lastExit: this.#lastExit,
      dependsOn: this.definition.dependsOn,
      runner: this.definition.runner.kind,
    };
  }

  /** Starts a lifecycle unless one is in progress; returns whether it started one. */
  start(): boolean {
    if (this.#life !== undefined) return false;
    const abandoned = Promise.withResolvers<ExitStatus>();
    const life: Lifecycle = {
      abort: new AbortController(),
      stopping: false,
      graceMs: this.definition.stopGraceMs ?? this.#o.stopGraceMs,
      done: Promise.resolve(),
      abandoned: abandoned.promise,
      abandon: abandoned.resolve,
    };
    this.#life = life;
    this.#policy.reset();
    this.#runs = 0;
    this.#finishedOk = false;
    life.done = this.#lifecycle(life)
      .catch((err) => {
        this.#o.onInternalError?.(err);
        this.#transition("Failed", `Internal error: ${errorMessage(err)}`);
      })
      .finally(() => {
        if (this.#life === life) this.#life = undefined;
      });
    return true;
  }

  /**
   * Stops the lifecycle: cancels waits and backoffs; a running process gets SIGTERM, then SIGKILL after
   * the grace period. Resolves once the service has reached its final state.
   */
  async stop(graceMs?: number): Promise<void> {
    const life = this.#life;
    if (life === undefined) return;
    if (!life.stopping) {
      life.stopping = true;
      if (graceMs !== undefined) life.graceMs = graceMs;
      life.abort.abort();
      const handle = this.#handle;
      if (handle !== undefined) {
        this.#transition("Stopping", `Stopping (grace period ${life.graceMs} ms)`);
        // A runner's stop may throw synchronously or never make its run exit: neither may
        // hold up the stop of this service, nor the shutdown waiting on it.
        Promise.resolve()
          .then(() => handle.stop(life.graceMs))
          .catch((err) => this.#o.onInternalError?.(err));
        this.#abandonAfterGrace(life);
      }
    }
    await life.done;
  }

  /** Gives up on a stopped run that outlives its grace period (the timer ends with the lifecycle). */
  #abandonAfterGrace(life: Lifecycle): void {
    const margin = life.graceMs + ABANDON_MARGIN_MS;
    const timer = new AbortController();
    void life.done.finally(() => timer.abort());
    void this.#o.clock.sleep(margin, timer.signal).then((elapsed) => {
      if (elapsed)
        life.abandon({
          code: null,
          signal: null,
          error: `Did not exit within ${margin} ms of being stopped; abandoned`,
        });
    });
  }

  /** Resolves when the current lifecycle (if any) has ended. */
  async settled(): Promise<void> {
    await this.#life?.done;
  }

  #transition(state: ServiceState, message: string, healthy?: boolean): void {
    if (!canTransition(this.#state, state)) {
      this.#o.onInternalError?.(
        new Error(`service ${this.id}: impossible transition ${this.#state} -> ${state}`),
      );
    }
    this.#state = state;
    // While a run is stuck on a problem, its status says so (a health change is only an event).
    this.#message = state === "Running" && this.#problem !== undefined ? problemText(this.#problem) : message;
    this.#since = this.#o.clock.now();
    const event: Omit<ServiceEvent, "seq"> = { service: this.id, state, message, time: this.#since };
    this.#o.emit(healthy === undefined ? event : { ...event, healthy });
  }

  /** RunContext.problem of run `run`: a new message is an event, a repeat is counted in the status. */
  #reportProblem(run: object, message: string): void {
    if (run !== this.#run) return;
    const current = this.#problem;
    if (current !== undefined && current.message === message) {
      current.count++;
      if (this.#state === "Running") this.#message = problemText(current);
      return;
    }
    this.#problem = { message, count: 1, since: this.#o.clock.now() };
    if (this.#state === "Running") this.#transition("Running", message);
  }

  /** RunContext.recovered of run `run`: ends its problem, if it had one. */
  #reportRecovered(run: object, message: string): void {
    if (run !== this.#run) return;
    const problem = this.#takeProblem();
    if (problem === undefined) return;
    if (this.#state !== "Running") return;
    this.#transition("Running", problem.count > 1 ? `${message} (after ${problem.count} failures)` : message);
  }

  #stopped(exit?: ExitStatus): void {
    this.#transition("Finished", exit === undefined ? "Stopped" : `Stopped: ${describeExit(exit)}`);
  }

  async #lifecycle(life: Lifecycle): Promise<void> {
    const signal = life.abort.signal;
    const def = this.definition;

    if (def.dependsOn.length > 0 && !(await this.#waitForDependencies(signal))) return this.#stopped();

    if (def.condition !== undefined) {
      this.#transition("Waiting", `Waiting for ${def.condition.description}`);
      let met: boolean;
      try {
        met = await def.condition.wait(signal);
      } catch (err) {
        return this.#transition("Failed", `Condition failed: ${errorMessage(err)}`);
      }
      if (!met || signal.aborted) return this.#stopped();
    }

    if (def.pre !== undefined) {
      this.#transition("Preparing", "Running pre-start tasks");
      try {
        if (!(await untilAborted(def.pre(), signal))) return this.#stopped();
      } catch (err) {
        if (err instanceof SkipServiceError) return this.#transition("Skipped", err.message || "Skipped");
        return this.#transition("Failed", `Pre-start failed: ${errorMessage(err)}`);
      }
    }

    for (;;) {
      if (signal.aborted) return this.#stopped();
      const outcome = await this.#runOnce(life);
      if (signal.aborted) return this.#stopped(outcome.exit);
      const decision = this.#policy.decide(outcome);
      const what = describeExit(outcome.exit);
      if (decision.action === "finish") {
        this.#finishedOk = isSuccess(outcome.exit);
        return this.#transition("Finished", what);
      }
      if (decision.action === "fail") return this.#transition("Failed", what);
      this.#transition(
        "Waiting",
        `${what}; restarting in ${decision.delayMs} ms (attempt ${decision.attempt})`,
      );
      if (!(await this.#o.clock.sleep(decision.delayMs, signal))) return this.#stopped();
    }
  }

  async #waitForDependencies(signal: AbortSignal): Promise<boolean> {
    const deps = this.#o.deps;
    const missing = () => this.definition.dependsOn.filter((d) => !deps.isUp(d));
    let waitingFor = missing();
    if (waitingFor.length === 0) return true;
    this.#transition("Waiting", waitingMessage(waitingFor));
    return new Promise<boolean>((resolve) => {
      const check = () => {
        const now = missing();
        if (now.length === 0) {
          cleanup();
          resolve(true);
        } else if (now.join() !== waitingFor.join()) {
          waitingFor = now;
          this.#transition("Waiting", waitingMessage(now));
        }
      };
      const onAbort = () => {
        cleanup();
        resolve(false);
      };
      const unsubscribe = deps.onChange(check);
      const cleanup = () => {
        unsubscribe();
        signal.removeEventListener("abort", onAbort);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      if (signal.aborted) onAbort();
    });
  }

  async #runOnce(life: Lifecycle): Promise<RunOutcome> {
    const clock = this.#o.clock;
    const started = clock.monotonic();
    this.#runs++;
    const run = {};
    this.#run = run;
    this.#problem = undefined;
    let handle: RunHandle;
    try {
      handle = await this.definition.runner.start({
        id: this.id,
        log: this.#o.log,
        problem: (message) => this.#reportProblem(run, message),
        recovered: (message) => this.#reportRecovered(run, message),
      });
    } catch (err) {
      const exit: ExitStatus = { code: null, signal: null, error: `Failed to start: ${errorMessage(err)}` };
      this.#lastExit = exit;
      this.#endRun();
      this.#o.log.line("system", exit.error as string);
      return { exit, durationMs: 0, healthy: false };
    }
    if (life.abort.signal.aborted) {
      // Stop was requested while the runner was starting.
      this.#abandonAfterGrace(life);
      const stopped = Promise.resolve()
        .then(() => handle.stop(life.graceMs))
        .catch(
          (err): ExitStatus => ({ code: null, signal: null, error: `Failed to stop: ${errorMessage(err)}` }),
        );
      const exit = await Promise.race([stopped, life.abandoned]);
      this.#lastExit = exit;
      this.#endRun();
      return { exit, durationMs: clock.monotonic() - started, healthy: false };
    }

    this.#handle = handle;
    const spec = this.definition.healthCheck;
    this.#health =
      spec === undefined ? undefined : { healthy: undefined, message: "", lastChange: clock.now() };
    const problem = this.#takeProblem();
    this.#transition("Running", handle.pid !== undefined ? `Started (pid ${handle.pid})` : "Started");
    // A problem reported while the runner was still starting.
    if (problem !== undefined) this.#reportProblem(run, problem.message);

    let healthyOnce = false;
    const stopHealth = new AbortController();
    if (spec !== undefined) {
      void monitorHealth(
        spec,
        clock,
        stopHealth.signal,
        (result, changed) => {
          if (result.healthy) healthyOnce = true;
          const lastChange = changed ? clock.now() : (this.#health?.lastChange ?? clock.now());
          this.#health = { healthy: result.healthy, message: result.message, lastChange };
          if (changed && this.#state === "Running") {
            this.#transition(
              "Running",
              result.healthy ? "Health check successful" : `Health check failed: ${result.message}`,
              result.healthy,
            );
          }
        },
        { pid: handle.pid },
      ).catch((err) => this.#o.onInternalError?.(err));
    }

    const exit = await Promise.race([handle.exited, life.abandoned]);
    stopHealth.abort();
    this.#handle = undefined;
    this.#lastExit = exit;
    this.#endRun();
    return { exit, durationMs: clock.monotonic() - started, healthy: healthyOnce };
  }

  /** The current problem, forgotten. */
  #takeProblem(): Problem | undefined {
    const problem = this.#problem;
    this.#problem = undefined;
    return problem;
  }

  /** After a run: its health and problems say nothing of the next one (Waiting or Failed shows no OK). */
  #endRun(): void {
    this.#run = undefined;
    this.#problem = undefined;
    this.#health = undefined;
  }
}

function waitingMessage(ids: readonly string[]): string {
  return ids.length === 1 ? `Waiting for service ${ids[0]}` : `Waiting for services ${ids.join(", ")}`;
}
