// The A/B lifecycle on a real node, put together for machined's main: the watchdog taken over at the
// start of a trial boot, the boot state settled once STATE is mounted, the trial watched until it is
// committed, and the SlotChanger the API's Upgrade and Rollback use.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import type { FetchFn } from "../config/config-acquisition.ts";
import type { KernelArgs } from "../node/kernel-args.ts";
import type { ServiceStatus } from "../supervisor/service.ts";
import { reconcileSlotBoot, superviseTrial } from "./slot-boot.ts";
import { SlotChanger } from "./slot-change.ts";
import { SLOT_LEDGER_FILE } from "./slot-ledger.ts";
import { findSystemDisk, type Slot } from "./system-disk.ts";
import { disarmWatchdog, type FedWatchdog, feedWatchdog } from "./watchdog.ts";

/** The services a trial boot must see healthy before its slot is committed (machined is running). */
export const TRIAL_SERVICES = ["containerd", "apid"] as const;

/**
 * undefined when the node runs its config (not maintenance mode: a release that cannot read the config
 * must not be committed) and every trial service is Running and healthy; else what is not, in words.
 */
export function trialProblem(
  statuses: readonly ServiceStatus[],
  maintenance?: string,
  alsoRequired: readonly string[] = [],
): string | undefined {
  const problems: string[] =
    maintenance === undefined ? [] : [`the node is in maintenance mode (${maintenance})`];
  for (const id of [...TRIAL_SERVICES, ...alsoRequired]) {
    const s = statuses.find((x) => x.id === id);
    if (s === undefined) problems.push(`${id} is not registered`);
    else if (s.state !== "Running") problems.push(`${id} is ${s.state}${s.message ? ` (${s.message})` : ""}`);
    else if (s.health !== undefined && s.health.healthy !== true)
      problems.push(`${id} is not healthy${s.health.message ? ` (${s.health.message})` : ""}`);
  }
  return problems.length === 0 ? undefined : problems.join("; ");
}

export interface NodeSlotsOptions {
  readonly args: KernelArgs;
  /** STATE's mount point (slots.json goes there). */
  readonly stateDir: string;
  /** Downloads (/var/lib/bronze-upgrade). */
  readonly workDir: string;
  readonly version: string;
  readonly clock: Clock;
  readonly fetch: FetchFn;
  readonly statuses: () => readonly ServiceStatus[];
  /** Services the trial also waits for now (etcd, on a control plane whose etcd has started before). */
  readonly alsoRequired?: () => readonly string[];
  /** Why the node is in maintenance mode; undefined when it runs its config. */
  readonly maintenance: () => string | undefined;
  readonly sync: () => void;
  /** The API's reboot sequence (services stopped, filesystems synced). */
  readonly reboot: () => Promise<void>;
  readonly report: (message: string) => void;
  readonly log: (line: string) => void;
}

export interface NodeSlots {
  readonly changer: SlotChanger;
  /** Run once STATE is mounted: settles the boot state, and starts watching a trial. */
  readonly onStateMounted: (log: (line: string) => void) => void;
}

export function nodeSlots(options: NodeSlotsOptions): NodeSlots {
  const { args, log } = options;
  const bootedSlot = args.bronze.slot?.toUpperCase() as Slot | undefined;
  let watchdog: FedWatchdog | undefined;
  let onTrial = false;
  if (args.bronze.trial !== undefined && bootedSlot !== undefined) {
    // the watchdog runs since /init loaded it: on the trial boot of a new slot, feed it until commit
    onTrial = true;
    try {
      watchdog = feedWatchdog({ log });
      log(`lifecycle: trial boot of slot ${bootedSlot}: feeding the watchdog until the slot is committed`);
    } catch (err) {
      log(`lifecycle: trial boot, but no watchdog to feed: ${(err as Error).message}`);
    }
  } else {
    try {
      if (disarmWatchdog()) log("lifecycle: watchdog disarmed (not a trial boot)");
    } catch (err) {
      log(`lifecycle: cannot disarm the watchdog: ${(err as Error).message}`);
    }
  }
  const disarm = () => {
    onTrial = false;
    try {
      watchdog?.disarm();
    } catch (err) {
      log(`lifecycle: disarming the watchdog failed: ${(err as Error).message}`);
    }
    watchdog = undefined;
  };
  let disk: ReturnType<typeof findSystemDisk>;
  try {
    disk = bootedSlot === undefined ? undefined : findSystemDisk();
  } catch (err) {
    log(`lifecycle: cannot look for the boot partitions: ${(err as Error).message}`);
  }
  const ledgerPath = join(options.stateDir, SLOT_LEDGER_FILE);
  const changer = new SlotChanger({
    disk,
    ledgerPath,
    bootedSlot,
    onTrial: () => onTrial,
    version: options.version,
    clock: options.clock,
    fetch: options.fetch,
    workDir: options.workDir,
    async writeSlot(slot, systemDisk, dir) {
      const image = await import("@bronze/image");
      const device = systemDisk.boot[slot];
      mkdirSync(options.workDir, { recursive: true, mode: 0o700 });
      const run = image.installerToolRunner(options.sync);
      // the UUID GRUB searches for (grub.cfg), not the slot's superblock: a cut mid-write leaves none
      let fsUuid: string | undefined;
      if (systemDisk.efi !== undefined) {
        try {
          const cfg = await run(["mcopy", "-n", "-i", systemDisk.efi, "::/boot/grub/grub.cfg", "-"], {
            env: { MTOOLS_SKIP_CHECK: "1" },
          });
          fsUuid = image.slotUuidsOf(cfg)[slot];
        } catch (err) {
          log(`upgrade: cannot read grub.cfg from ${systemDisk.efi}: ${(err as Error).message}`);
        }
      }
      fsUuid ??= image.readExtUuid(device);
      if (fsUuid === undefined)
        throw new Error(`neither grub.cfg nor ${device} says which filesystem UUID slot ${slot} must have`);
      await image.writeBootSlot({ slot, device, artifactsDir: dir, fsUuid, workDir: options.workDir, run });
    },
    reboot: options.reboot,
    report: options.report,
    log,
  });
  const onStateMounted = (bootLog: (line: string) => void) => {
    if (disk === undefined || bootedSlot === undefined) {
      if (onTrial) disarm();
      return;
    }
    const deps = {
      disk,
      ledgerPath,
      bootedSlot,
      version: options.version,
      clock: options.clock,
      report: options.report,
      log: bootLog,
    };
    let boot: ReturnType<typeof reconcileSlotBoot>;
    try {
      boot = reconcileSlotBoot(deps);
    } catch (err) {
      bootLog(`lifecycle: cannot read the boot state: ${(err as Error).message}`);
      if (onTrial) disarm();
      return;
    }
    if (boot.kind === "unsupported") bootLog(`lifecycle: ${boot.reason}`);
    if (boot.kind !== "trial") {
      if (onTrial) disarm();
      return;
    }
    onTrial = true;
    superviseTrial({
      ...deps,
      log,
      seq: boot.seq,
      unhealthy: () =>
        trialProblem(options.statuses(), options.maintenance(), options.alsoRequired?.() ?? []),
      // the watchdog stops being fed first: if the reboot sequence cannot run (a boot that hangs holds
      // its lock) or hangs itself, softdog resets the node within its margin
      reboot: async () => {
        watchdog?.abandon();
        try {
          await options.reboot();
        } catch (err) {
          log(`lifecycle: the reboot was refused (${(err as Error).message}): the watchdog resets the node`);
        }
      },
      onCommitted: disarm,
    }).catch((err) => log(`lifecycle: watching the trial failed: ${(err as Error).message}`));
  };
  return { changer, onStateMounted };
}
