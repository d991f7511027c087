// Flag parsers of the node commands. Light on purpose: program.ts loads this for every invocation,
// while the API client (connect, protobuf, TLS) loads only with a node command.
import { usageError } from "../cli-error.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "30s", "5m", "1h30m", "500ms", or a bare number of seconds; returns milliseconds. */
export function parseDuration(flag: string) {
  return (value: string): number => {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return positive(flag, value, Number(text) * 1000);
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text)
      throw usageError(`${flag}: "${value}" is not a duration (e.g. 30s, 5m, 1h30m)`);
    return positive(
      flag,
      value,
      parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] ?? "s"] ?? 1000), 0),
    );
  };
}

function positive(flag: string, value: string, ms: number): number {
  if (!(ms > 0)) throw usageError(`${flag}: "${value}" must be a positive duration`);
  return Math.round(ms);
}

/** A non-negative integer flag such as `--tail 20`. */
export function parseCount(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw usageError(`${flag}: "${value}" is not a whole number`);
    return Number(value.trim());
  };
}

/** An integer flag that may be negative (`-d -1` for unlimited depth). */
export function parseInteger(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw usageError(`${flag}: "${value}" is not an integer`);
    return Number(value.trim());
  };
}

export const APPLY_MODES = ["auto", "no-reboot", "staged", "try"] as const;
export type ApplyModeName = (typeof APPLY_MODES)[number];

export function parseApplyMode(value: string): ApplyModeName {
  if ((APPLY_MODES as readonly string[]).includes(value)) return value as ApplyModeName;
  throw usageError(`--mode: unknown apply mode "${value}" (expected one of: ${APPLY_MODES.join(", ")})`);
}

export const SERVICE_ACTIONS = ["start", "stop", "restart", "status"] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

export function parseServiceAction(value: string): ServiceAction {
  if ((SERVICE_ACTIONS as readonly string[]).includes(value)) return value as ServiceAction;
  throw usageError(`unknown service action "${value}" (expected one of: ${SERVICE_ACTIONS.join(", ")})`);
}
