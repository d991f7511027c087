import { type Sequencer as ApiSequencer, type ResetRun, SequencerError } from "../api/sequencer.ts";
import type { ShutdownKind } from "./phases.ts";
import { SequenceLockedError } from "./sequence.ts";
import type { Sequencer } from "./sequencer.ts";

/**
 * The boot Sequencer as the machine API sees it: reboot() and shutdown() resolve once the sequence holds
 * the lock and runs in the background; a refusal becomes the API's SequencerError("Locked").
 */
export function apiSequencer(sequencer: Sequencer): ApiSequencer {
  const start = async (kind: ShutdownKind, reset?: ResetRun) => {
    try {
      await sequencer.start(kind, reset === undefined ? {} : { reset });
    } catch (err) {
      if (err instanceof SequenceLockedError) throw new SequencerError("Locked", err.message);
      throw err;
    }
  };
  return {
    reboot: () => start("reboot"),
    shutdown: () => start("shutdown"),
    reset: (run) => start("reset", run),
  };
}
