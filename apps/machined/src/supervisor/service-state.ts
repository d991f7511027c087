/** The states of a service (docs/design.md §3). */
export const SERVICE_STATES = [
  "Initialized",
  "Waiting",
  "Preparing",
  "Running",
  "Stopping",
  "Finished",
  "Failed",
  "Skipped",
] as const;

export type ServiceState = (typeof SERVICE_STATES)[number];

/** States in which a service has no lifecycle in progress (it can be started again). */
export const TERMINAL_STATES: ReadonlySet<ServiceState> = new Set([
  "Initialized",
  "Finished",
  "Failed",
  "Skipped",
]);

export function isTerminal(state: ServiceState): boolean {
  return TERMINAL_STATES.has(state);
}

const TRANSITIONS: Readonly<Record<ServiceState, readonly ServiceState[]>> = {
  Initialized: ["Waiting", "Preparing", "Running", "Finished", "Failed", "Skipped"],
  // Waiting for dependencies/condition, or for a restart backoff to elapse.
  Waiting: ["Waiting", "Preparing", "Running", "Finished", "Failed", "Skipped"],
  Preparing: ["Running", "Finished", "Failed", "Skipped"],
  // Running -> Running carries health changes.
  Running: ["Running", "Waiting", "Stopping", "Finished", "Failed"],
  Stopping: ["Finished", "Failed"],
  // A new lifecycle (start after stop or failure).
  Finished: ["Waiting", "Preparing", "Running", "Failed"],
  Failed: ["Waiting", "Preparing", "Running", "Failed"],
  Skipped: ["Waiting", "Preparing", "Running", "Failed"],
};

/** Whether the service runner may move from `from` to `to`. */
export function canTransition(from: ServiceState, to: ServiceState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** One transition of one service (kept in the bounded event log). */
export interface ServiceEvent {
  /** Increasing sequence number across all services, for followers to resume. */
  readonly seq: number;
  readonly service: string;
  readonly state: ServiceState;
  readonly message: string;
  /** Wall-clock ms. */
  readonly time: number;
  /** Present on health-check results. */
  readonly healthy?: boolean;
}

export interface ServiceHealth {
  /** undefined until the first check has completed. */
  readonly healthy: boolean | undefined;
  readonly message: string;
  /** Wall-clock ms of the last change. */
  readonly lastChange: number;
}
