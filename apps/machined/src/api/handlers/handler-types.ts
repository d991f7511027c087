import type { MachineService } from "@bronze/api";
import type { ServiceImpl } from "@connectrpc/connect";

/** The implementation of MachineService: each handlers file provides some of its methods. */
export type MachineServiceImpl = ServiceImpl<typeof MachineService>;

export interface HandlerOptions {
  /** Aborted when the API server closes: followers (logs -f, events, dmesg -f) end their streams. */
  readonly shutdown: AbortSignal;
  /** Failures with no caller left to tell (a try-mode revert): reported, never thrown (PID 1). */
  readonly onInternalError?: (error: unknown) => void;
}
