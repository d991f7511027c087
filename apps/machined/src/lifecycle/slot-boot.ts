// What the boot does with the A/B state (docs/design.md, "Upgrades"): on the one trial boot of a new
// slot, wait for the node to be healthy and commit the slot, or reboot into the committed one after a
// bounded time; on the committed slot after a trial that did not come back, record why and clear the
// request. GRUB's side is image/src/installer/grub-config.ts.
import type { Clock } from "../clock.ts";
import { describeChange, loadLedger, type SlotLedger, saveLedger } from "./slot-ledger.ts";
import { type MetaIo, readSlotRecord, type Slot, type SystemDisk, writeSlotRecord } from "./system-disk.ts";

/** How long a trial boot may take to become healthy before machined gives up and reboots. */
export const TRIAL_HEALTHY_TIMEOUT_MS = 5 * 60_000;
const TRIAL_POLL_MS = 1_000;

export interface SlotBootDeps {
  readonly disk: SystemDisk;
  readonly meta?: MetaIo;
  /** STATE's slots.json. */
  readonly ledgerPath: string;
  readonly bootedSlot: Slot;
  /** The release running now (os-release). */
  readonly version: string;
  readonly clock: Clock;
  /** An event of the "machined" service (shown by `osctl events`, logged). */
  readonly report: (message: string) => void;
  readonly log: (line: string) => void;
}

export type SlotBoot =
  | { readonly kind: "unsupported"; readonly reason: string }
  | { readonly kind: "normal" }
  | { readonly kind: "trial"; readonly seq: number }
  | { readonly kind: "fell-back"; readonly reason: string };

const withSlot = (ledger: SlotLedger, slot: Slot, version: string, now: number): SlotLedger =>
  ledger.slots[slot]?.version === version
    ? ledger
    : { ...ledger, slots: { ...ledger.slots, [slot]: { version, writtenAt: now } } };

/**
 * Reads META and the ledger at boot (STATE mounted) and settles what a previous boot left: never
 * throws for a missing or unreadable state (the node boots as it would without A/B).
 */
export function reconcileSlotBoot(deps: SlotBootDeps): SlotBoot {
  const record = readSlotRecord(deps.disk, deps.meta);
  if (record === undefined)
    return {
      kind: "unsupported",
      reason: "META holds no boot state: this disk was installed before A/B upgrades (reinstall to use them)",
    };
  const now = deps.clock.now();
  let ledger = withSlot(loadLedger(deps.ledgerPath, deps.log), deps.bootedSlot, deps.version, now);
  const last = ledger.last;
  if (record.trial === deps.bootedSlot && record.committed !== deps.bootedSlot) {
    if (last !== undefined && last.seq === record.seq)
      ledger = { ...ledger, last: { ...last, outcome: "pending", trialBootedAt: now } };
    saveLedger(deps.ledgerPath, ledger);
    deps.log(
      `lifecycle: trial boot of slot ${deps.bootedSlot} (${deps.version}); slot ${record.committed} stays the default until it is healthy`,
    );
    return { kind: "trial", seq: record.seq };
  }
  if (record.trial !== undefined && record.trial !== deps.bootedSlot) {
    // The trial was asked for; GRUB booted it (or could not mark it) and the committed slot runs again.
    const matching = last !== undefined && last.seq === record.seq ? last : undefined;
    const reason =
      matching?.reason ??
      (matching?.trialBootedAt !== undefined
        ? `machined started on slot ${record.trial} but the node restarted before it was healthy (machined exited or hung, or the kernel panicked)`
        : `slot ${record.trial}'s system never reached machined (a kernel panic, a hang before machined, a machined that exits at start, or a slot GRUB could not load; panic=10 or the watchdog restarted the node)`);
    writeSlotRecord(deps.disk, { committed: record.committed }, deps.meta);
    if (matching !== undefined) {
      ledger = { ...ledger, last: { ...matching, outcome: "rolled-back", reason, endedAt: now } };
      deps.report(describeChange(ledger.last));
    } else {
      deps.report(`the trial boot of slot ${record.trial} did not come back: ${reason}`);
    }
    saveLedger(deps.ledgerPath, ledger);
    return { kind: "fell-back", reason };
  }
  if (record.committed !== deps.bootedSlot)
    deps.log(
      `lifecycle: slot ${deps.bootedSlot} was booted by hand (from the GRUB menu); slot ${record.committed} stays the default`,
    );
  if (record.committed === deps.bootedSlot && ledger.slots[deps.bootedSlot]?.healthyAt === undefined) {
    const slot = ledger.slots[deps.bootedSlot];
    if (slot !== undefined)
      ledger = { ...ledger, slots: { ...ledger.slots, [deps.bootedSlot]: { ...slot, healthyAt: now } } };
  }
  saveLedger(deps.ledgerPath, ledger);
  return { kind: "normal" };
}

export interface TrialDeps extends SlotBootDeps {
  readonly seq: number;
  /** undefined when the node is healthy, else what is not (e.g. "apid is Running, health failing"). */
  readonly unhealthy: () => string | undefined;
  readonly reboot: () => Promise<void> | void;
  /** Called once the slot is committed (the watchdog is disarmed). */
  readonly onCommitted?: () => void;
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The trial boot's watch: commits the slot (META's default, then the ledger) once the node is
 * healthy; after `timeoutMs` without that, records why and reboots (GRUB has consumed the trial: the
 * committed slot boots).
 */
export async function superviseTrial(deps: TrialDeps): Promise<"committed" | "rebooted" | "aborted"> {
  const started = deps.clock.monotonic();
  const timeoutMs = deps.timeoutMs ?? TRIAL_HEALTHY_TIMEOUT_MS;
  let problem = deps.unhealthy();
  while (problem !== undefined) {
    if (deps.clock.monotonic() - started >= timeoutMs) {
      const reason = `slot ${deps.bootedSlot} was not healthy within ${Math.round(timeoutMs / 1000)} s: ${problem}`;
      const ledger = loadLedger(deps.ledgerPath, deps.log);
      if (ledger.last !== undefined && ledger.last.seq === deps.seq)
        saveLedger(deps.ledgerPath, { ...ledger, last: { ...ledger.last, reason } });
      deps.report(`${reason}; rebooting into the committed slot`);
      await deps.reboot();
      return "rebooted";
    }
    if (!(await deps.clock.sleep(deps.pollMs ?? TRIAL_POLL_MS, deps.signal))) return "aborted";
    problem = deps.unhealthy();
  }
  const record = writeSlotRecord(deps.disk, { committed: deps.bootedSlot }, deps.meta);
  const now = deps.clock.now();
  const ledger = loadLedger(deps.ledgerPath, deps.log);
  const slot = ledger.slots[deps.bootedSlot] ?? { version: deps.version, writtenAt: now };
  const last =
    ledger.last !== undefined && ledger.last.seq === deps.seq
      ? { ...ledger.last, outcome: "committed" as const, endedAt: now }
      : ledger.last;
  saveLedger(deps.ledgerPath, {
    ...ledger,
    slots: { ...ledger.slots, [deps.bootedSlot]: { ...slot, healthyAt: now } },
    ...(last === undefined ? {} : { last }),
  });
  deps.onCommitted?.();
  deps.report(
    last !== undefined && last.seq === deps.seq
      ? describeChange(last)
      : `slot ${deps.bootedSlot} (${deps.version}) committed (boot state ${record.seq})`,
  );
  return "committed";
}
