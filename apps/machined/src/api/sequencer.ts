// What the API asks of the boot code for power operations. The boot code implements it; the API
// only requests sequences and reports refusals.

export type SequencerErrorCode = "Locked" | "Unsupported";

/** A refused sequence: another one holds the lock ("Locked"), or the platform cannot ("Unsupported"). */
export class SequencerError extends Error {
  override readonly name = "SequencerError";
  constructor(
    readonly code: SequencerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A reset as the sequence runs it: how to stop the services, what to wipe, what to do after. */
export interface ResetRun {
  /** Stop the services with their grace period (else at once). */
  readonly graceful: boolean;
  /** Reboot afterwards (else power off). */
  readonly reboot: boolean;
  /** The partitions the wipe zeroes: nothing may be mounted from them when it starts. */
  readonly devices: readonly string[];
  /** Wipes what the request asked for; every mount of `devices`, STATE and /var are gone by then. */
  readonly wipe: (log: (line: string) => void) => Promise<void>;
}

export interface Sequencer {
  /**
   * Starts the reboot sequence. Resolves once the sequence holds the lock and runs (in the
   * background: the caller's response must still reach it); rejects with SequencerError.
   */
  reboot(): Promise<void>;
  /** Starts the shutdown sequence; same contract as reboot(). */
  shutdown(): Promise<void>;
  /** Starts the reset sequence (services stopped, `run.wipe`, then reboot or power off); same contract. */
  reset(run: ResetRun): Promise<void>;
}
