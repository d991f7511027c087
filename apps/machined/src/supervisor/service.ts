import type { Condition } from "./condition.ts";
import type { ServiceHealth, ServiceState } from "./service-state.ts";

/** What happens when a service's process ends (docs/design.md §3). */
export type RestartKind = "forever" | "once" | "untilSuccess";

/** Exponential backoff between restarts: initialMs * factor^(n-1), capped at maxMs. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** A run that lasted this long (or passed a health check) resets the backoff. */
  readonly resetAfterMs?: number;
}

/** The run a health check is about. */
export interface HealthCheckRun {
  /** The run's process, when it has one (see RunHandle.pid). */
  readonly pid: number | undefined;
}

export interface HealthCheckSpec {
  readonly initialDelayMs: number;
  readonly periodMs: number;
  /**
   * The period while a run is starting: until its first healthy result, for at most
   * HEALTH_START_PHASE_MS (health-check.ts). Default `periodMs`. A service that comes up between two
   * checks then waits a few ms instead of a whole period for its dependents to start (Docker's
   * start interval).
   */
  readonly startPeriodMs?: number;
  readonly timeoutMs: number;
  /**
   * Resolves when healthy, throws (with a message saying why) when not. Abort means timed out. It
   * should ask the service itself (a request with a deadline): a socket accepting connections says
   * nothing of a frozen process, whose kernel backlog still accepts them.
   */
  readonly check: (signal: AbortSignal, run: HealthCheckRun) => Promise<void>;
}

/** How a run ended. Success is `code === 0` with no signal and no error. */
export interface ExitStatus {
  readonly code: number | null;
  /** e.g. "SIGKILL" when killed by a signal. */
  readonly signal: string | null;
  /** Set when the run failed without an exit code (failed to start, in-process error, abandoned). */
  readonly error?: string;
}

export type LogStream = "stdout" | "stderr" | "system";

/** Where a runner sends its service's output, one line at a time. */
export interface LogSink {
  line(stream: LogStream, text: string): void;
}

export interface RunContext {
  readonly id: string;
  readonly log: LogSink;
  /**
   * A run that is alive but stuck retrying something (or waiting on something) says so: the message
   * becomes the service's status message; a new message is an event (a console line), a repeat of the
   * current one is only counted.
   */
  readonly problem?: (message: string) => void;
  /** The run got past its problem: the message (what it did) replaces the problem's. */
  readonly recovered?: (message: string) => void;
}

/** One run of a service, as started by its runner. */
export interface RunHandle {
  readonly pid?: number;
  /** Resolves (never rejects) when the run has ended and its output is drained. */
  readonly exited: Promise<ExitStatus>;
  /** Asks the run to end: graceful first, forced after `graceMs`. Resolves with the exit status. */
  stop(graceMs: number): Promise<ExitStatus>;
}

export interface Runner {
  /** "process", "in-process", "containerd"... */
  readonly kind: string;
  /** Starts one run; throws (RunnerError) when it cannot. */
  start(ctx: RunContext): Promise<RunHandle>;
}

export interface ServiceDefinition {
  readonly id: string;
  /**
   * Services that must be up before this one starts: running and healthy, or, for tasks
   * (`untilSuccess`), finished successfully.
   */
  readonly dependsOn: readonly string[];
  readonly condition?: Condition;
  /** Setup before the first run; throw SkipServiceError to mark the service Skipped. */
  readonly pre?: () => Promise<void>;
  readonly runner: Runner;
  readonly healthCheck?: HealthCheckSpec;
  readonly restart: RestartKind;
  readonly backoff?: Partial<Backoff>;
  /** Grace period between SIGTERM and SIGKILL when stopping; defaults to the supervisor's. */
  readonly stopGraceMs?: number;
}

/** Thrown by a service's `pre` when the service does not apply (the service ends Skipped). */
export class SkipServiceError extends Error {
  override readonly name = "SkipServiceError";
  readonly code = "Skip";
}

/** A service's current state, as the API lists it. */
export interface ServiceStatus {
  readonly id: string;
  readonly state: ServiceState;
  readonly message: string;
  /** Wall-clock ms of the last state change. */
  readonly since: number;
  readonly health: ServiceHealth | undefined;
  /** Whether dependents may start (see ServiceDefinition.dependsOn). */
  readonly up: boolean;
  readonly pid: number | undefined;
  /** Runs started in this lifecycle, restarts included. */
  readonly runs: number;
  readonly lastExit: ExitStatus | undefined;
  readonly dependsOn: readonly string[];
  readonly runner: string;
}

/** "Exited with code 1", "Killed by SIGKILL", "Failed to start: ...". */
export function describeExit(exit: ExitStatus): string {
  if (exit.error !== undefined) return exit.error;
  if (exit.signal !== null) return `Killed by ${exit.signal}`;
  if (exit.code === 0) return "Exited successfully";
  return `Exited with code ${exit.code}`;
}

export function isSuccess(exit: ExitStatus): boolean {
  return exit.code === 0 && exit.signal === null && exit.error === undefined;
}
