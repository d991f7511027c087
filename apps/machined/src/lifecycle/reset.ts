// Reset (MachineService.Reset): what to wipe, decided from the request and the node's partitions, and
// the wipe itself — every byte of the chosen partitions zeroed (the old config and keys cannot be read
// back), a fresh ext4 made on each. STATE gets a marker, so that the node comes back in maintenance mode
// even when its kernel arguments name a config URL (it waits for `osctl apply-config --insecure`).
// The boot slots and META are never touched: the node must boot again.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename, join } from "node:path";
import type { NodePartitions } from "../install/partitions.ts";

export type WipeLabel = "STATE" | "EPHEMERAL";
export const WIPE_LABELS: readonly WipeLabel[] = ["STATE", "EPHEMERAL"];
export const WIPE_MODES = ["all", "system-disk", "user-disks"] as const;
export type WipeMode = (typeof WIPE_MODES)[number];

/** On a wiped STATE: when and how the node was reset (read by the boot's config acquisition). */
export const RESET_MARKER_FILE = "reset.json";

export class ResetError extends Error {
  override readonly name = "ResetError";
  constructor(
    readonly code: "InvalidArgument" | "FailedPrecondition",
    message: string,
  ) {
    super(message);
  }
}

export interface ResetRequestInput {
  readonly graceful: boolean;
  readonly reboot: boolean;
  readonly systemLabelsToWipe: readonly string[];
  readonly wipeMode: string;
}

export interface WipeTarget {
  readonly label: WipeLabel;
  readonly device: string;
}

export interface ResetPlan {
  readonly graceful: boolean;
  readonly reboot: boolean;
  readonly targets: readonly WipeTarget[];
  /** What will be wiped, in words (the response, the log). */
  readonly wiping: readonly string[];
}

/** The plan for a reset request on a node with `partitions` (undefined: diskless). */
export function planReset(req: ResetRequestInput, partitions: NodePartitions | undefined): ResetPlan {
  const mode = (req.wipeMode === "" ? "all" : req.wipeMode) as WipeMode;
  if (!WIPE_MODES.includes(mode))
    throw new ResetError(
      "InvalidArgument",
      `--wipe-mode ${JSON.stringify(req.wipeMode)}: expected one of ${WIPE_MODES.join(", ")}`,
    );
  const asked = req.systemLabelsToWipe
    .flatMap((l) => l.split(","))
    .map((l) => l.trim().toUpperCase())
    .filter((l) => l !== "");
  for (const label of asked)
    if (!(WIPE_LABELS as readonly string[]).includes(label))
      throw new ResetError(
        "InvalidArgument",
        `--system-labels-to-wipe ${label}: a reset wipes ${WIPE_LABELS.join(" and ")} only (the boot slots and META keep the node bootable)`,
      );
  if (asked.length > 0 && mode === "user-disks")
    throw new ResetError(
      "InvalidArgument",
      "--system-labels-to-wipe names system partitions, --wipe-mode user-disks excludes the system disk: choose one",
    );
  const labels = [
    ...new Set(asked.length > 0 ? asked : mode === "user-disks" ? [] : WIPE_LABELS),
  ] as WipeLabel[];
  const targets: WipeTarget[] = [];
  for (const label of labels) {
    const p = label === "STATE" ? partitions?.state : partitions?.ephemeral;
    if (p !== undefined) targets.push({ label, device: p.devPath });
  }
  if (labels.length > 0 && targets.length === 0)
    throw new ResetError(
      "FailedPrecondition",
      "reset refused: this node has no STATE or EPHEMERAL partition (it runs from memory): there is nothing to wipe; a reboot forgets its state",
    );
  const wiping = targets.map((t) => `${t.label} (${t.device})`);
  if (mode !== "system-disk") wiping.push("no user disks (the machine config names none)");
  return { graceful: req.graceful, reboot: req.reboot, targets, wiping };
}

const CHUNK = 4 * 1024 * 1024;

/** A block device's size in bytes, from sysfs (fstat says 0 for a block device). */
export function blockDeviceBytes(device: string, sysClassBlock = "/sys/class/block"): number {
  const sectors = Number(readFileSync(join(sysClassBlock, basename(device), "size"), "utf8").trim());
  if (!Number.isSafeInteger(sectors) || sectors < 0) throw new Error(`${device}: unreadable size`);
  return sectors * 512;
}

/** Writes zeros over `length` bytes of `path` from `offset`, then flushes them to the disk. */
export async function zeroRange(path: string, offset: number, length: number): Promise<number> {
  const zeros = new Uint8Array(Math.min(CHUNK, length));
  const handle = await open(path, "r+");
  let done = 0;
  try {
    while (done < length) {
      const n = Math.min(zeros.length, length - done);
      const { bytesWritten } = await handle.write(zeros, 0, n, offset + done);
      done += bytesWritten;
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return done;
}

export interface WipeDeps {
  /** The device's size in bytes. */
  readonly size: (device: string) => number;
  readonly zero: (device: string, offset: number, length: number) => Promise<number>;
  /** mkfs.ext4 with the label, and the content of `dir` when given. */
  readonly mkfs: (label: WipeLabel, device: string, dir?: string) => Promise<void>;
  /** For the marker's temporary directory. */
  readonly workDir: string;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

/** Zeroes each target whole and makes a fresh filesystem on it; STATE's holds the reset marker. */
export async function wipeTargets(targets: readonly WipeTarget[], deps: WipeDeps): Promise<void> {
  for (const t of targets) {
    const started = deps.now();
    const bytes = await deps.zero(t.device, 0, deps.size(t.device));
    let dir: string | undefined;
    if (t.label === "STATE") {
      dir = join(deps.workDir, "reset-state");
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(
        join(dir, RESET_MARKER_FILE),
        `${JSON.stringify({ resetAt: new Date(deps.now()).toISOString() })}\n`,
      );
    }
    try {
      await deps.mkfs(t.label, t.device, dir);
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
    deps.log(
      `reset: ${t.label} (${t.device}): ${(bytes / 2 ** 20).toFixed(0)} MiB zeroed, new filesystem, in ${deps.now() - started} ms`,
    );
  }
}

/** When the node was reset, if STATE (mounted at `stateDir`) says it was and holds no config since. */
export function readResetMarker(stateDir: string): string | undefined {
  const path = join(stateDir, RESET_MARKER_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const at = (JSON.parse(readFileSync(path, "utf8")) as { resetAt?: unknown }).resetAt;
    return typeof at === "string" ? at : "at an unknown time";
  } catch {
    return "at an unknown time";
  }
}
