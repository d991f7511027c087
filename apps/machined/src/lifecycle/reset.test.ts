import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodePartitions } from "../install/partitions.ts";
import {
  blockDeviceBytes,
  planReset,
  RESET_MARKER_FILE,
  ResetError,
  readResetMarker,
  wipeTargets,
  zeroRange,
} from "./reset.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-reset-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const installed: NodePartitions = {
  state: { name: "vda6", devPath: "/dev/vda6", partName: "STATE" },
  ephemeral: { name: "vda7", devPath: "/dev/vda7", partName: "EPHEMERAL" },
};
const req = (over: Partial<Parameters<typeof planReset>[0]> = {}) => ({
  graceful: true,
  reboot: true,
  systemLabelsToWipe: [],
  wipeMode: "",
  ...over,
});
const refusal = (f: () => unknown): ResetError => {
  try {
    f();
  } catch (err) {
    if (err instanceof ResetError) return err;
    throw err;
  }
  throw new Error("not refused");
};

test("by default a reset wipes STATE and EPHEMERAL; labels narrow it; user-disks leaves the system disk", () => {
  expect(planReset(req(), installed).wiping).toEqual([
    "STATE (/dev/vda6)",
    "EPHEMERAL (/dev/vda7)",
    "no user disks (the machine config names none)",
  ]);
  expect(planReset(req({ systemLabelsToWipe: ["ephemeral"], wipeMode: "system-disk" }), installed)).toEqual({
    graceful: true,
    reboot: true,
    targets: [{ label: "EPHEMERAL", device: "/dev/vda7" }],
    wiping: ["EPHEMERAL (/dev/vda7)"],
  });
  expect(planReset(req({ systemLabelsToWipe: ["STATE,EPHEMERAL"] }), installed).targets).toHaveLength(2);
  expect(planReset(req({ wipeMode: "user-disks" }), installed).targets).toEqual([]);
});

test("refusals name the flag or the reason", () => {
  expect(refusal(() => planReset(req({ wipeMode: "everything" }), installed)).message).toBe(
    '--wipe-mode "everything": expected one of all, system-disk, user-disks',
  );
  const meta = refusal(() => planReset(req({ systemLabelsToWipe: ["META"] }), installed));
  expect([meta.code, meta.message]).toEqual([
    "InvalidArgument",
    "--system-labels-to-wipe META: a reset wipes STATE and EPHEMERAL only (the boot slots and META keep the node bootable)",
  ]);
  expect(
    refusal(() => planReset(req({ systemLabelsToWipe: ["STATE"], wipeMode: "user-disks" }), installed)).code,
  ).toBe("InvalidArgument");
  const diskless = refusal(() => planReset(req(), { state: undefined, ephemeral: undefined }));
  expect(diskless.code).toBe("FailedPrecondition");
  expect(diskless.message).toContain("there is nothing to wipe");
});

test("the wipe zeroes every byte of each target, makes a filesystem, and marks STATE as reset", async () => {
  const state = join(dir, "state.img");
  writeFileSync(state, Buffer.alloc(3 * 1024 * 1024 + 5, "s"));
  const marker: string[] = [];
  const made: string[] = [];
  await wipeTargets([{ label: "STATE", device: state }], {
    size: () => 3 * 1024 * 1024 + 5,
    zero: zeroRange,
    mkfs: async (label, device, content) => {
      made.push(`${label} ${device}`);
      if (content !== undefined) marker.push(readFileSync(join(content, RESET_MARKER_FILE), "utf8"));
    },
    workDir: join(dir, "work"),
    now: () => Date.UTC(2026, 11, 7),
    log: () => {},
  });
  expect(readFileSync(state).every((b) => b === 0)).toBe(true);
  expect(made).toEqual([`STATE ${state}`]);
  expect(JSON.parse(marker[0] as string)).toEqual({ resetAt: "2026-12-07T00:00:00.000Z" });
});

test("the reset marker is read back; none means an ordinary boot", () => {
  const stateDir = join(dir, "mounted-state");
  mkdirSync(stateDir);
  expect(readResetMarker(stateDir)).toBeUndefined();
  writeFileSync(join(stateDir, RESET_MARKER_FILE), '{"resetAt":"2026-12-07T00:00:00.000Z"}');
  expect(readResetMarker(stateDir)).toBe("2026-12-07T00:00:00.000Z");
  writeFileSync(join(stateDir, RESET_MARKER_FILE), "{");
  expect(readResetMarker(stateDir)).toBe("at an unknown time");
});

test("a block device's size comes from sysfs in sectors", () => {
  mkdirSync(join(dir, "sys/vdb"), { recursive: true });
  writeFileSync(join(dir, "sys/vdb/size"), "2048\n");
  expect(blockDeviceBytes("/dev/vdb", join(dir, "sys"))).toBe(1024 * 1024);
});
