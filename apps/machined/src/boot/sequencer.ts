import type { ResetRun } from "../api/sequencer.ts";
import { newNodeState, type WritableNodeState } from "../node/node-state.ts";
import {
  bootPhases,
  recoverFromFailedBoot,
  type SequenceDeps,
  type ShutdownKind,
  shutdownPhases,
} from "./phases.ts";
import {
  type Phase,
  runSequence,
  SequenceError,
  type SequenceEvent,
  SequenceLock,
  SequenceLockedError,
  type SequenceName,
} from "./sequence.ts";

export interface SequencerOptions {
  /** Called with every sequence event (the Events API feed). */
  readonly onEvent?: (event: SequenceEvent) => void;
  /** Events kept in memory (default 500). */
  readonly maxEvents?: number;
}

export interface ShutdownOptions {
  /**
   * Cancel a running sequence (boot) first instead of refusing with SequenceLockedError: for signals
   * and power events, which must win.
   */
  readonly force?: boolean;
  /** A reset's stop, wipe and end (the API's Reset). */
  readonly reset?: ResetRun;
}

/**
 * Runs machined's sequences (boot, reboot, shutdown, reset), one at a time: asking for one while another
 * runs throws SequenceLockedError (code "Locked") naming the running one.
 */
export class Sequencer {
  /** What the node knows about itself: written by the boot phases and the config applier only. */
  readonly state: WritableNodeState = newNodeState();
  readonly events: SequenceEvent[] = [];
  readonly #deps: SequenceDeps;
  readonly #options: SequencerOptions;
  readonly #lock = new SequenceLock();
  #current: { name: SequenceName; abort: AbortController; done: Promise<void> } | undefined;

  constructor(deps: SequenceDeps, options: SequencerOptions = {}) {
    this.#deps = deps;
    this.#options = options;
  }

  /** The sequence running now, if any. */
  get running(): SequenceName | undefined {
    return this.#lock.running;
  }

  #record(event: SequenceEvent): void {
    this.events.push(event);
    const max = this.#options.maxEvents ?? 500;
    if (this.events.length > max) this.events.splice(0, this.events.length - max);
    this.#options.onEvent?.(event);
  }

  async #run(name: SequenceName, phases: (signal: AbortSignal) => Phase[]): Promise<void> {
    const release = this.#lock.acquire(name);
    const abort = new AbortController();
    const run = runSequence(name, phases(abort.signal), {
      clock: this.#deps.clock,
      log: this.#deps.log,
      onEvent: (e) => this.#record(e),
      signal: abort.signal,
    });
    const done = run.then(
      () => {},
      () => {},
    );
    this.#current = { name, abort, done };
    try {
      await run;
    } finally {
      if (this.#current?.abort === abort) this.#current = undefined;
      release();
    }
  }

  /**
   * The boot sequence. Rejects with SequenceError when a task fails (machined itself keeps running);
   * unless the failure is the hardening check's refusal or a cancelled boot, the node's API still comes
   * up first (recoverFromFailedBoot: with the config in force, or in maintenance mode saying why).
   */
  async boot(): Promise<void> {
    try {
      await this.#run("boot", () => bootPhases(this.#deps, this.state));
    } catch (err) {
      if (err instanceof SequenceError && err.code !== "Aborted" && err.phase !== "hardening") {
        recoverFromFailedBoot(this.#deps, this.state, err.message);
      }
      throw err;
    }
  }

  reboot(options: ShutdownOptions = {}): Promise<void> {
    return this.#shutdown("reboot", options);
  }

  shutdown(options: ShutdownOptions = {}): Promise<void> {
    return this.#shutdown("shutdown", options);
  }

  reset(options: ShutdownOptions = {}): Promise<void> {
    return this.#shutdown("reset", options);
  }

  /**
   * Starts a reboot, shutdown or reset in the background (for the API, whose response must still go
   * out): resolves once the sequence holds the lock, throws SequenceLockedError at once when another
   * one runs. The sequence's own failure is logged.
   */
  async start(kind: ShutdownKind, options: ShutdownOptions = {}): Promise<void> {
    const running = this.#lock.running;
    if (running !== undefined) throw new SequenceLockedError(kind, running);
    void this.#shutdown(kind, options).catch((err) => {
      this.#deps.log(`[${kind}] ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  async #shutdown(kind: ShutdownKind, options: ShutdownOptions): Promise<void> {
    const current = this.#current;
    if (options.force && current !== undefined && current.name === "boot") {
      this.#deps.log(`[${kind}] cancelling the running ${current.name} sequence`);
      current.abort.abort();
      // A task that ignores its signal must not keep the node from shutting down.
      const timeoutMs = this.#deps.cancelTimeoutMs ?? 10_000;
      const stopWaiting = new AbortController();
      const ended = await Promise.race([
        current.done.then(() => true),
        this.#deps.clock.sleep(timeoutMs, stopWaiting.signal).then(() => false),
      ]);
      stopWaiting.abort();
      if (!ended) {
        this.#deps.log(
          `[${kind}] the ${current.name} sequence did not stop within ${timeoutMs} ms: going on`,
        );
        this.#lock.forceRelease();
      }
    }
    return this.#run(kind, () => shutdownPhases(this.#deps, kind, options.reset));
  }
}
