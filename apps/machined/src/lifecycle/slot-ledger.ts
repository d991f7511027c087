// What machined remembers about the slots, on STATE (slots.json, written atomically): the version in
// each slot, whether it ever booted healthy, and the last upgrade or rollback with how it ended. GRUB
// never reads it: the boot decision is META's alone (system-disk.ts).
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "@bronze/files";
import type { Slot } from "./system-disk.ts";

export interface SlotInfo {
  readonly version: string;
  /** When the slot was written (ms). */
  readonly writtenAt: number;
  /** When it last booted and was found healthy (ms); absent: never. */
  readonly healthyAt?: number;
}

export type ChangeOutcome = "staged" | "pending" | "committed" | "rolled-back";

/** An upgrade (a new system in the other slot) or a rollback (back to the other slot's system). */
export interface SlotChange {
  readonly kind: "upgrade" | "rollback";
  readonly slot: Slot;
  readonly fromVersion: string;
  readonly toVersion: string;
  /** The boot state's sequence number that asked for the trial. */
  readonly seq: number;
  readonly requestedAt: number;
  /** Set by the trial boot's machined as soon as it runs. */
  readonly trialBootedAt?: number;
  readonly outcome: ChangeOutcome;
  readonly reason?: string;
  readonly endedAt?: number;
}

export interface SlotLedger {
  readonly slots: Partial<Record<Slot, SlotInfo>>;
  readonly last?: SlotChange;
}

export const SLOT_LEDGER_FILE = "slots.json";

/** The ledger at `path`; an empty one when it is missing or unreadable (logged). */
export function loadLedger(path: string, log: (line: string) => void = () => {}): SlotLedger {
  if (!existsSync(path)) return { slots: {} };
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as SlotLedger;
    if (typeof parsed !== "object" || parsed === null || typeof parsed.slots !== "object")
      throw new Error("not a slot ledger");
    return parsed;
  } catch (err) {
    log(`lifecycle: ${path} is unreadable (${(err as Error).message}): starting a new one`);
    return { slots: {} };
  }
}

export function saveLedger(path: string, ledger: SlotLedger): void {
  writeFileAtomic(path, `${JSON.stringify(ledger, null, 2)}\n`, { mode: 0o600 });
}

/** The last change in one line, for `osctl version` and events. */
export function describeChange(change: SlotChange | undefined): string {
  if (change === undefined) return "";
  const what =
    change.kind === "upgrade"
      ? `upgrade to ${change.toVersion} (slot ${change.slot})`
      : `rollback to ${change.toVersion} (slot ${change.slot})`;
  switch (change.outcome) {
    case "staged":
      return `${what} staged: it boots at the next reboot`;
    case "pending":
      return `${what} in progress`;
    case "committed":
      return `${what} committed`;
    case "rolled-back":
      return `${what} rolled back: ${change.reason ?? "the new system did not become healthy"}`;
  }
}
