import { afterEach, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { FakeClock } from "../testing/fake-clock.ts";
import { type DiskFixture, diskFixture } from "./lifecycle-fixture.ts";
import { reconcileSlotBoot, superviseTrial } from "./slot-boot.ts";
import { loadLedger, saveLedger } from "./slot-ledger.ts";
import { readSlotRecord, writeSlotRecord } from "./system-disk.ts";

const fixtures: DiskFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) rmSync(f.dir, { recursive: true, force: true });
});

function setup(version = "1.0.0", bootedSlot: "A" | "B" = "A") {
  const f = diskFixture();
  fixtures.push(f);
  const clock = new FakeClock();
  const deps = {
    disk: f.disk,
    ledgerPath: f.ledgerPath,
    bootedSlot,
    version,
    clock,
    report: (m: string) => f.events.push(m),
    log: (l: string) => f.lines.push(l),
  };
  return { f, clock, deps };
}

/** What an upgrade leaves: slot B written with `to`, a trial of it asked for (seq 2). */
function upgradeRequested(f: DiskFixture, now: number, to = "2.0.0") {
  saveLedger(f.ledgerPath, {
    slots: { A: { version: "1.0.0", writtenAt: 0, healthyAt: 1 }, B: { version: to, writtenAt: now } },
    last: {
      kind: "upgrade",
      slot: "B",
      fromVersion: "1.0.0",
      toVersion: to,
      seq: 2,
      requestedAt: now,
      outcome: "staged",
    },
  });
  writeSlotRecord(f.disk, { committed: "A", trial: "B" });
}

test("an ordinary boot records the slot's version and that it booted; nothing else changes", () => {
  const { f, deps } = setup();
  expect(reconcileSlotBoot(deps)).toEqual({ kind: "normal" });
  expect(loadLedger(f.ledgerPath).slots.A).toMatchObject({ version: "1.0.0" });
  expect(loadLedger(f.ledgerPath).slots.A?.healthyAt).toBeNumber();
  expect(readSlotRecord(f.disk)).toEqual({ seq: 1, committed: "A" });
  expect(f.events).toEqual([]);
});

test("a disk without a boot state is reported as such, never a failure", () => {
  const { f, deps } = setup();
  rmSync(f.disk.meta);
  expect(() => reconcileSlotBoot(deps)).toThrow(); // unreadable META: the caller logs it
  const blank = diskFixture({ record: false });
  fixtures.push(blank);
  expect(reconcileSlotBoot({ ...deps, disk: blank.disk })).toMatchObject({ kind: "unsupported" });
});

test("the trial boot commits its slot once the node is healthy: META's default, the ledger, an event", async () => {
  const { f, clock, deps } = setup("2.0.0", "B");
  upgradeRequested(f, clock.now());
  const boot = reconcileSlotBoot(deps);
  expect(boot).toEqual({ kind: "trial", seq: 2 });
  expect(loadLedger(f.ledgerPath).last).toMatchObject({ outcome: "pending", trialBootedAt: clock.now() });
  let problem: string | undefined = "apid is Starting";
  let committed = 0;
  let reboots = 0;
  const watch = superviseTrial({
    ...deps,
    seq: 2,
    unhealthy: () => problem,
    reboot: () => {
      reboots++;
    },
    onCommitted: () => committed++,
  });
  await clock.advance(3_000);
  expect(readSlotRecord(f.disk)).toEqual({ seq: 2, committed: "A", trial: "B" });
  problem = undefined;
  await clock.advance(1_000);
  expect(await watch).toBe("committed");
  expect(readSlotRecord(f.disk)).toEqual({ seq: 3, committed: "B" });
  expect(loadLedger(f.ledgerPath).last).toMatchObject({ outcome: "committed" });
  expect(loadLedger(f.ledgerPath).slots.B?.healthyAt).toBeNumber();
  expect([committed, reboots]).toEqual([1, 0]);
  expect(f.events).toEqual(["upgrade to 2.0.0 (slot B) committed"]);
});

test("a trial that is not healthy in time records why and reboots; the committed slot then says it rolled back", async () => {
  const { f, clock, deps } = setup("2.0.0", "B");
  upgradeRequested(f, clock.now());
  reconcileSlotBoot(deps);
  let reboots = 0;
  const watch = superviseTrial({
    ...deps,
    seq: 2,
    timeoutMs: 60_000,
    unhealthy: () => "apid is Running, not healthy (TLS handshake failed)",
    reboot: () => {
      reboots++;
    },
  });
  await clock.advance(61_000);
  expect(await watch).toBe("rebooted");
  expect(reboots).toBe(1);
  expect(readSlotRecord(f.disk)).toEqual({ seq: 2, committed: "A", trial: "B" });
  expect(f.events[0]).toBe(
    "slot B was not healthy within 60 s: apid is Running, not healthy (TLS handshake failed); rebooting into the committed slot",
  );
  // GRUB boots slot A (the trial is marked tried): its machined clears the request and says why
  const back = reconcileSlotBoot({ ...deps, bootedSlot: "A", version: "1.0.0" });
  expect(back).toMatchObject({ kind: "fell-back" });
  expect(readSlotRecord(f.disk)).toEqual({ seq: 3, committed: "A" });
  expect(f.events[1]).toBe(
    "upgrade to 2.0.0 (slot B) rolled back: slot B was not healthy within 60 s: apid is Running, not healthy (TLS handshake failed)",
  );
  expect(loadLedger(f.ledgerPath).last).toMatchObject({ outcome: "rolled-back" });
});

test("after a trial that never reached machined, or died after starting, the reason says which", () => {
  const never = setup();
  upgradeRequested(never.f, never.clock.now());
  expect(reconcileSlotBoot(never.deps)).toMatchObject({ kind: "fell-back" });
  expect(never.f.events[0]).toContain("rolled back: slot B's system never reached machined");

  const died = setup();
  upgradeRequested(died.f, died.clock.now());
  reconcileSlotBoot({ ...died.deps, bootedSlot: "B", version: "2.0.0" }); // the trial starts...
  expect(reconcileSlotBoot(died.deps)).toMatchObject({ kind: "fell-back" }); // ...and A boots again
  expect(died.f.events[0]).toContain(
    "rolled back: machined started on slot B but the node restarted before it was healthy",
  );
  expect(JSON.parse(readFileSync(died.f.ledgerPath, "utf8")).slots.B.healthyAt).toBeUndefined();
});
