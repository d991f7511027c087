// Upgrade and Rollback (MachineService): a new system written into the slot GRUB does not boot, then
// a one-time trial boot of it (slot-boot.ts commits it or falls back). Every step leaves the disk with
// the committed slot bootable and chosen by default: the trial is asked for only once the new slot is
// complete and on the disk, and a stale request for that slot is withdrawn before it is overwritten.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import type { FetchFn } from "../config/config-acquisition.ts";
import { downloadAssets } from "../install/machine-install.ts";
import { redactUrl } from "../network/http-body.ts";
import { describeChange, loadLedger, type SlotChange, saveLedger } from "./slot-ledger.ts";
import { type MetaIo, readSlotRecord, type Slot, type SystemDisk, writeSlotRecord } from "./system-disk.ts";

export type SlotChangeErrorCode = "FailedPrecondition" | "InvalidArgument" | "Unavailable" | "Aborted";

/** A refused or failed upgrade or rollback; the message says why and what to do. */
export class SlotChangeError extends Error {
  override readonly name = "SlotChangeError";
  constructor(
    readonly code: SlotChangeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SlotChangeDeps {
  /** The system disk; undefined on a node that did not boot from an installed disk. */
  readonly disk: SystemDisk | undefined;
  readonly meta?: MetaIo;
  readonly ledgerPath: string;
  /** From `bronze.slot=`; undefined when GRUB did not boot this node. */
  readonly bootedSlot: Slot | undefined;
  /** The trial this boot is, when it is one and not yet committed. */
  readonly onTrial: () => boolean;
  readonly version: string;
  readonly clock: Clock;
  readonly fetch: FetchFn;
  /** Downloads go here (/var: the EPHEMERAL partition). */
  readonly workDir: string;
  /** Writes vmlinuz, initramfs.zst and cmdline from `dir` into the slot's partition, whole. */
  readonly writeSlot: (slot: Slot, disk: SystemDisk, dir: string) => Promise<void>;
  readonly reboot: () => Promise<void>;
  readonly report: (message: string) => void;
  readonly log: (line: string) => void;
}

const other = (slot: Slot): Slot => (slot === "A" ? "B" : "A");

export interface SlotChangeResult {
  readonly slot: Slot;
  readonly version: string;
}

export class SlotChanger {
  readonly #deps: SlotChangeDeps;
  #busy: string | undefined;

  constructor(deps: SlotChangeDeps) {
    this.#deps = deps;
  }

  /** The slot booted, the other slot's version and the last change, for Version. */
  describe(): { bootedSlot: string; otherSlotVersion: string; lastUpgrade: string } {
    const { bootedSlot } = this.#deps;
    if (bootedSlot === undefined || this.#deps.disk === undefined)
      return { bootedSlot: "", otherSlotVersion: "", lastUpgrade: "" };
    const ledger = loadLedger(this.#deps.ledgerPath);
    return {
      bootedSlot,
      otherSlotVersion: ledger.slots[other(bootedSlot)]?.version ?? "",
      lastUpgrade: describeChange(ledger.last),
    };
  }

  /** Refuses what cannot change slots; returns the disk, the booted slot and the current boot state's sequence. */
  #ready(what: string): { disk: SystemDisk; booted: Slot; seq: number } {
    const { disk, bootedSlot } = this.#deps;
    if (disk === undefined)
      throw new SlotChangeError(
        "FailedPrecondition",
        `${what} refused: this node did not boot from an installed disk (it runs from the network or memory); it is upgraded by what its boot server serves`,
      );
    if (bootedSlot === undefined)
      throw new SlotChangeError(
        "FailedPrecondition",
        `${what} refused: the kernel command line has no bronze.slot= (the node was not booted by its disk's GRUB)`,
      );
    const record = readSlotRecord(disk, this.#deps.meta);
    if (record === undefined)
      throw new SlotChangeError(
        "FailedPrecondition",
        `${what} refused: META holds no boot state: this disk was installed before A/B upgrades (reinstall it)`,
      );
    if (this.#deps.onTrial())
      throw new SlotChangeError(
        "FailedPrecondition",
        `${what} refused: slot ${bootedSlot} is on trial and not committed yet (it is once the node is healthy)`,
      );
    if (this.#busy !== undefined)
      throw new SlotChangeError("FailedPrecondition", `${what} refused: ${this.#busy} is running`);
    return { disk, booted: bootedSlot, seq: record.seq };
  }

  /** Asks GRUB for one boot of `slot`, records the change, and reboots unless staged. */
  async #requestTrial(
    disk: SystemDisk,
    booted: Slot,
    seq: number,
    change: Omit<SlotChange, "seq" | "outcome" | "requestedAt">,
    stage: boolean,
  ): Promise<void> {
    const ledger = loadLedger(this.#deps.ledgerPath, this.#deps.log);
    const last: SlotChange = {
      ...change,
      seq: seq + 1,
      requestedAt: this.#deps.clock.now(),
      outcome: "staged",
    };
    // the ledger first, with the sequence the request will carry: a trial boot finds its change
    saveLedger(this.#deps.ledgerPath, { ...ledger, last });
    const record = writeSlotRecord(disk, { committed: booted, trial: change.slot }, this.#deps.meta);
    if (record.seq !== last.seq)
      saveLedger(this.#deps.ledgerPath, { ...ledger, last: { ...last, seq: record.seq } });
    this.#deps.report(
      `${change.kind} to ${change.toVersion} (slot ${change.slot}) ${stage ? "staged: it boots at the next reboot" : "requested: rebooting into it once"}`,
    );
    if (stage) return;
    try {
      await this.#deps.reboot();
    } catch (err) {
      throw new SlotChangeError(
        "FailedPrecondition",
        `slot ${change.slot} holds ${change.toVersion} and boots once at the next reboot, but the reboot was refused: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async upgrade(request: { image: string; stage: boolean; signal?: AbortSignal }): Promise<SlotChangeResult> {
    const { disk, booted, seq } = this.#ready("upgrade");
    let url: URL;
    try {
      url = new URL(request.image);
    } catch {
      throw new SlotChangeError(
        "InvalidArgument",
        `--image ${JSON.stringify(request.image)} is not a URL: give the http(s) directory of the boot assets (vmlinuz, initramfs.zst, cmdline, manifest.json)`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new SlotChangeError(
        "InvalidArgument",
        `--image ${redactUrl(request.image)} must be an http(s) URL`,
      );
    const target = other(booted);
    const assetsUrl = request.image.replace(/\/+$/, "");
    this.#busy = `an upgrade to slot ${target}`;
    const dir = join(this.#deps.workDir, "upgrade");
    try {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.#deps.log(`upgrade: downloading ${redactUrl(assetsUrl)} for slot ${target}`);
      let version: string;
      try {
        ({ version } = await downloadAssets(
          { fetch: this.#deps.fetch, log: (line) => this.#deps.log(line.replace(/^install: /, "upgrade: ")) },
          assetsUrl,
          dir,
          request.signal ?? new AbortController().signal,
        ));
      } catch (err) {
        throw new SlotChangeError("Unavailable", `upgrade: ${(err as Error).message}`, { cause: err });
      }
      // A request for the slot about to be overwritten (a staged upgrade) is withdrawn first.
      let current = readSlotRecord(disk, this.#deps.meta);
      if (current?.trial === target) {
        current = writeSlotRecord(disk, { committed: booted }, this.#deps.meta);
        this.#deps.log(`upgrade: withdrew the earlier request to boot slot ${target}`);
      }
      this.#deps.log(`upgrade: writing ${version} into slot ${target} (${disk.boot[target]})`);
      try {
        await this.#deps.writeSlot(target, disk, dir);
      } catch (err) {
        throw new SlotChangeError(
          "Aborted",
          `upgrade: writing slot ${target} failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      const ledger = loadLedger(this.#deps.ledgerPath, this.#deps.log);
      saveLedger(this.#deps.ledgerPath, {
        ...ledger,
        slots: { ...ledger.slots, [target]: { version, writtenAt: this.#deps.clock.now() } },
      });
      await this.#requestTrial(
        disk,
        booted,
        current?.seq ?? seq,
        { kind: "upgrade", slot: target, fromVersion: this.#deps.version, toVersion: version },
        request.stage,
      );
      return { slot: target, version };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      this.#busy = undefined;
    }
  }

  async rollback(): Promise<SlotChangeResult> {
    const { disk, booted, seq } = this.#ready("rollback");
    const target = other(booted);
    const info = loadLedger(this.#deps.ledgerPath, this.#deps.log).slots[target];
    if (info?.healthyAt === undefined)
      throw new SlotChangeError(
        "FailedPrecondition",
        `rollback refused: slot ${target} holds no system that ever booted healthy${info === undefined ? " (it is empty)" : ` (${info.version} never committed)`}`,
      );
    this.#busy = `a rollback to slot ${target}`;
    try {
      await this.#requestTrial(
        disk,
        booted,
        seq,
        { kind: "rollback", slot: target, fromVersion: this.#deps.version, toVersion: info.version },
        false,
      );
      return { slot: target, version: info.version };
    } finally {
      this.#busy = undefined;
    }
  }
}
