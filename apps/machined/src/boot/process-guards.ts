/** The part of `process` the guards attach to (an EventEmitter in tests). */
export interface GuardTarget {
  on(event: "uncaughtException" | "unhandledRejection", listener: (err: unknown) => void): unknown;
}

const describe = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

/**
 * PID 1 must never die: an exception nobody caught, or a promise rejection nobody handled, is logged
 * and machined carries on (a dead PID 1 is a kernel panic).
 */
export function installProcessGuards(target: GuardTarget, log: (line: string) => void): void {
  target.on("uncaughtException", (err) =>
    log(`uncaught exception (machined keeps running): ${describe(err)}`),
  );
  target.on("unhandledRejection", (err) =>
    log(`unhandled rejection (machined keeps running): ${describe(err)}`),
  );
}
