// Signal names and numbers (Linux).
import { constants } from "node:os";
import { ContainerdError } from "./errors.ts";

export type Signal = number | string;

/** "SIGTERM", "TERM", "term" or 15 -> 15; throws InvalidArgument for anything else. */
export function signalNumber(signal: Signal, op = "signal"): number {
  if (typeof signal === "number") {
    if (!Number.isInteger(signal) || signal < 1 || signal > 64)
      throw new ContainerdError("InvalidArgument", op, `signal ${signal} is out of range 1..64`);
    return signal;
  }
  const name = signal.toUpperCase().startsWith("SIG") ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined)
    throw new ContainerdError("InvalidArgument", op, `unknown signal ${JSON.stringify(signal)}`);
  return n;
}

/** The signal that ended a process, if its exit status says it died of one (128 + n, as runc reports). */
export function signalOfExitStatus(status: number): string | undefined {
  if (status <= 128 || status > 128 + 64) return undefined;
  const n = status - 128;
  return Object.entries(constants.signals as Record<string, number>).find(([, v]) => v === n)?.[0];
}
