import { afterEach, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "../testing/fake-clock.ts";
import { type DiskFixture, diskFixture } from "./lifecycle-fixture.ts";
import { SlotChangeError, SlotChanger } from "./slot-change.ts";
import { loadLedger, saveLedger } from "./slot-ledger.ts";
import { readSlotRecord } from "./system-disk.ts";

const fixtures: DiskFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) rmSync(f.dir, { recursive: true, force: true });
});

const ASSETS: Record<string, string> = {
  vmlinuz: "kernel-2",
  "initramfs.zst": "initramfs-2",
  cmdline: "console=ttyS0\n",
};
const sha = (t: string) => createHash("sha256").update(t).digest("hex");
function manifest(over: Partial<Record<string, string>> = {}, version = "2.0.0"): string {
  return JSON.stringify({
    version,
    files: Object.entries(ASSETS).map(([name, text]) => ({
      name,
      size: text.length,
      sha256: sha(over[name] ?? text),
    })),
  });
}

function setup(
  options: {
    manifest?: string;
    bootedSlot?: "A" | "B" | undefined;
    onTrial?: boolean;
    diskless?: boolean;
    rebootRefused?: boolean;
  } = {},
) {
  const f = diskFixture();
  fixtures.push(f);
  const clock = new FakeClock();
  const requests: string[] = [];
  const writes: Array<{
    slot: string;
    device: string;
    files: Record<string, string>;
    metaTrial: string | undefined;
  }> = [];
  let reboots = 0;
  const changer = new SlotChanger({
    disk: options.diskless ? undefined : f.disk,
    ledgerPath: f.ledgerPath,
    bootedSlot: "bootedSlot" in options ? options.bootedSlot : "A",
    onTrial: () => options.onTrial ?? false,
    version: "1.0.0",
    clock,
    fetch: async (url) => {
      const u = String(url);
      requests.push(u);
      const name = u.slice(u.lastIndexOf("/") + 1);
      if (name === "manifest.json") return new Response(options.manifest ?? manifest());
      const text = ASSETS[name];
      return text === undefined ? new Response("no", { status: 404 }) : new Response(text);
    },
    workDir: join(f.dir, "work"),
    async writeSlot(slot, disk, dir) {
      const device = disk.boot[slot];
      const files: Record<string, string> = {};
      for (const name of Object.keys(ASSETS)) files[name] = readFileSync(join(dir, name), "utf8");
      writes.push({ slot, device, files, metaTrial: readSlotRecord(f.disk)?.trial });
    },
    reboot: async () => {
      reboots++;
      if (options.rebootRefused) throw new Error("the boot sequence is running");
    },
    report: (m) => f.events.push(m),
    log: (l) => f.lines.push(l),
  });
  return { f, changer, requests, writes, reboots: () => reboots };
}

async function refusal(p: Promise<unknown>): Promise<SlotChangeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SlotChangeError) return err;
    throw err;
  }
  throw new Error("not refused");
}

test("upgrade verifies the assets, writes the other slot, then asks GRUB for one boot of it and reboots", async () => {
  const { f, changer, requests, writes, reboots } = setup();
  expect(await changer.upgrade({ image: "http://10.0.2.2:8080/v2/", stage: false })).toEqual({
    slot: "B",
    version: "2.0.0",
  });
  expect(requests.map((u) => u.slice(u.lastIndexOf("/") + 1))).toEqual([
    "manifest.json",
    "vmlinuz",
    "initramfs.zst",
    "cmdline",
  ]);
  expect(writes).toEqual([{ slot: "B", device: f.disk.boot.B, files: ASSETS, metaTrial: undefined }]);
  expect(readSlotRecord(f.disk)).toEqual({ seq: 2, committed: "A", trial: "B" });
  const ledger = loadLedger(f.ledgerPath);
  expect(ledger.slots.B).toMatchObject({ version: "2.0.0" });
  expect(ledger.last).toMatchObject({
    kind: "upgrade",
    slot: "B",
    fromVersion: "1.0.0",
    toVersion: "2.0.0",
    seq: 2,
    outcome: "staged",
  });
  expect(reboots()).toBe(1);
  expect(f.events).toEqual(["upgrade to 2.0.0 (slot B) requested: rebooting into it once"]);
  expect(changer.describe()).toEqual({
    bootedSlot: "A",
    otherSlotVersion: "2.0.0",
    lastUpgrade: "upgrade to 2.0.0 (slot B) staged: it boots at the next reboot",
  });
});

test("a staged upgrade does not reboot; a second upgrade withdraws the first request before writing the slot", async () => {
  const { changer, writes, reboots, f } = setup();
  await changer.upgrade({ image: "https://mirror/v2", stage: true });
  expect(reboots()).toBe(0);
  expect(readSlotRecord(f.disk)).toEqual({ seq: 2, committed: "A", trial: "B" });
  await changer.upgrade({ image: "https://mirror/v2", stage: true });
  // while slot B was rewritten, GRUB would have booted slot A
  expect(writes.map((w) => w.metaTrial)).toEqual([undefined, undefined]);
  expect(readSlotRecord(f.disk)).toEqual({ seq: 4, committed: "A", trial: "B" });
  expect(loadLedger(f.ledgerPath).last?.seq).toBe(4);
});

test("a file that does not match the manifest stops the upgrade before the slot is written", async () => {
  const { changer, writes, f, reboots } = setup({ manifest: manifest({ "initramfs.zst": "tampered" }) });
  const err = await refusal(changer.upgrade({ image: "http://x/v2", stage: false }));
  expect(err.code).toBe("Unavailable");
  expect(err.message).toContain("initramfs.zst: got 11 bytes with sha256");
  expect(writes).toEqual([]);
  expect(readSlotRecord(f.disk)).toEqual({ seq: 1, committed: "A" });
  expect(reboots()).toBe(0);
});

test("refusals name the reason: diskless, not booted by GRUB, on trial, not a URL", async () => {
  const diskless = setup({ diskless: true });
  const netboot = await refusal(diskless.changer.upgrade({ image: "http://x", stage: false }));
  expect([netboot.code, netboot.message]).toEqual([
    "FailedPrecondition",
    "upgrade refused: this node did not boot from an installed disk (it runs from the network or memory); it is upgraded by what its boot server serves",
  ]);
  expect((await refusal(diskless.changer.rollback())).message).toContain(
    "did not boot from an installed disk",
  );
  expect(diskless.requests).toEqual([]);
  const none = setup({ bootedSlot: undefined });
  expect((await refusal(none.changer.upgrade({ image: "http://x", stage: false }))).message).toContain(
    "no bronze.slot=",
  );
  const trial = setup({ onTrial: true });
  expect((await refusal(trial.changer.upgrade({ image: "http://x", stage: false }))).message).toContain(
    "slot A is on trial and not committed yet",
  );
  const ok = setup();
  const bad = await refusal(ok.changer.upgrade({ image: "not a url", stage: false }));
  expect([bad.code, bad.message]).toEqual([
    "InvalidArgument",
    '--image "not a url" is not a URL: give the http(s) directory of the boot assets (vmlinuz, initramfs.zst, cmdline, manifest.json)',
  ]);
  expect((await refusal(ok.changer.upgrade({ image: "ftp://x/y", stage: false }))).message).toContain(
    "must be an http(s) URL",
  );
});

test("rollback boots the other slot once when it ever booted healthy, and is refused otherwise", async () => {
  const { changer, f, reboots } = setup();
  const empty = await refusal(changer.rollback());
  expect(empty.message).toBe(
    "rollback refused: slot B holds no system that ever booted healthy (it is empty)",
  );
  saveLedger(f.ledgerPath, { slots: { B: { version: "0.9.0", writtenAt: 1 } } });
  expect((await refusal(changer.rollback())).message).toContain("(0.9.0 never committed)");
  saveLedger(f.ledgerPath, { slots: { B: { version: "0.9.0", writtenAt: 1, healthyAt: 2 } } });
  expect(await changer.rollback()).toEqual({ slot: "B", version: "0.9.0" });
  expect(readSlotRecord(f.disk)).toEqual({ seq: 2, committed: "A", trial: "B" });
  expect(loadLedger(f.ledgerPath).last).toMatchObject({ kind: "rollback", toVersion: "0.9.0", seq: 2 });
  expect(reboots()).toBe(1);
});

test("a refused reboot says the new slot boots at the next one (the request stands)", async () => {
  const { changer, f } = setup({ rebootRefused: true });
  const err = await refusal(changer.upgrade({ image: "http://x/v2", stage: false }));
  expect([err.code, err.message]).toEqual([
    "FailedPrecondition",
    "slot B holds 2.0.0 and boots once at the next reboot, but the reboot was refused: the boot sequence is running",
  ]);
  expect(readSlotRecord(f.disk)).toEqual({ seq: 2, committed: "A", trial: "B" });
});
