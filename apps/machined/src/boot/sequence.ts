import type { Clock } from "../clock.ts";

export type SequenceName = "boot" | "reboot" | "shutdown" | "reset";

export interface TaskContext {
  /** Aborted when the sequence is cancelled (e.g. a forced shutdown during boot). */
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

/** A named step of a sequence. */
export interface Task {
  readonly name: string;
  run(ctx: TaskContext): Promise<void> | void;
}

/** Tasks that run together (concurrently); the next phase starts once all of them are done. */
export interface Phase {
  readonly name: string;
  readonly tasks: readonly Task[];
}

export type SequenceEventState = "started" | "finished" | "failed";

/** One record of a sequence's progress, as the Events API shows it. */
export interface SequenceEvent {
  readonly sequence: SequenceName;
  /** Undefined for the sequence's own start and end. */
  readonly phase?: string;
  readonly task?: string;
  readonly state: SequenceEventState;
  /** Wall-clock ms. */
  readonly time: number;
  /** For finished and failed records. */
  readonly durationMs?: number;
  readonly error?: string;
}

/** Another sequence holds the lock (boot, reboot, shutdown and reset never overlap). */
export class SequenceLockedError extends Error {
  override readonly name = "SequenceLockedError";
  readonly code = "Locked";
  constructor(
    readonly requested: SequenceName,
    readonly running: SequenceName,
  ) {
    super(`cannot start the ${requested} sequence: the ${running} sequence is running`);
  }
}

export type SequenceErrorCode = "TaskFailed" | "Aborted";

/** A sequence stopped: a task failed (named, with its error as `cause`), or it was aborted. */
export class SequenceError extends Error {
  override readonly name = "SequenceError";
  constructor(
    readonly code: SequenceErrorCode,
    readonly sequence: SequenceName,
    readonly phase: string,
    readonly task: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Mutual exclusion of sequences. */
export class SequenceLock {
  #running: SequenceName | undefined;

  get running(): SequenceName | undefined {
    return this.#running;
  }

  #holder = 0;

  /** Takes the lock for `name` or throws SequenceLockedError; returns the release function. */
  acquire(name: SequenceName): () => void {
    if (this.#running !== undefined) throw new SequenceLockedError(name, this.#running);
    this.#running = name;
    const holder = ++this.#holder;
    return () => {
      // A holder released by force (or twice) must not release its successor.
      if (this.#holder !== holder || this.#running === undefined) return;
      this.#running = undefined;
    };
  }

  /** Frees the lock whoever holds it (a forced shutdown whose cancelled sequence does not end). */
  forceRelease(): void {
    this.#running = undefined;
    this.#holder++;
  }
}

export interface RunSequenceOptions {
  readonly clock: Clock;
  readonly log: (line: string) => void;
  readonly onEvent?: (event: SequenceEvent) => void;
  readonly signal?: AbortSignal;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs the phases in order, logging and recording each task with its duration. The first failure stops
 * the sequence (after the other tasks of its phase have settled) with a SequenceError naming the task.
 */
export async function runSequence(
  name: SequenceName,
  phases: readonly Phase[],
  options: RunSequenceOptions,
): Promise<void> {
  const { clock, log } = options;
  const signal = options.signal ?? new AbortController().signal;
  const emit = (event: Omit<SequenceEvent, "sequence" | "time">) => {
    try {
      options.onEvent?.({ sequence: name, time: clock.now(), ...event });
    } catch {}
  };
  const started = clock.monotonic();
  log(`[${name}] sequence started`);
  emit({ state: "started" });
  const fail = (err: SequenceError): never => {
    const durationMs = clock.monotonic() - started;
    log(`[${name}] sequence failed after ${Math.round(durationMs)} ms: ${err.message}`);
    emit({ state: "failed", durationMs, error: err.message });
    throw err;
  };

  for (const phase of phases) {
    if (signal.aborted) {
      fail(
        new SequenceError(
          "Aborted",
          name,
          phase.name,
          undefined,
          `${name} aborted before phase ${phase.name}`,
        ),
      );
    }
    emit({ phase: phase.name, state: "started" });
    const phaseStart = clock.monotonic();
    const results = await Promise.all(
      phase.tasks.map(async (task) => {
        const taskStart = clock.monotonic();
        const taskLog = (line: string) => log(`[${name}] ${task.name}: ${line}`);
        log(`[${name}] phase ${phase.name}: task ${task.name} started`);
        emit({ phase: phase.name, task: task.name, state: "started" });
        try {
          await task.run({ signal, log: taskLog });
          const durationMs = clock.monotonic() - taskStart;
          log(`[${name}] phase ${phase.name}: task ${task.name} finished in ${Math.round(durationMs)} ms`);
          emit({ phase: phase.name, task: task.name, state: "finished", durationMs });
          return undefined;
        } catch (err) {
          const durationMs = clock.monotonic() - taskStart;
          log(
            `[${name}] phase ${phase.name}: task ${task.name} failed after ${Math.round(durationMs)} ms: ${message(err)}`,
          );
          emit({ phase: phase.name, task: task.name, state: "failed", durationMs, error: message(err) });
          return { task: task.name, err };
        }
      }),
    );
    const failed = results.find((r) => r !== undefined);
    const phaseDuration = clock.monotonic() - phaseStart;
    if (failed !== undefined) {
      emit({ phase: phase.name, state: "failed", durationMs: phaseDuration, error: message(failed.err) });
      fail(
        new SequenceError(
          signal.aborted ? "Aborted" : "TaskFailed",
          name,
          phase.name,
          failed.task,
          `task ${failed.task} (phase ${phase.name}) failed: ${message(failed.err)}`,
          { cause: failed.err },
        ),
      );
    }
    emit({ phase: phase.name, state: "finished", durationMs: phaseDuration });
  }
  const durationMs = clock.monotonic() - started;
  log(`[${name}] sequence finished in ${Math.round(durationMs)} ms`);
  emit({ state: "finished", durationMs });
}
