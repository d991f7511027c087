import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeChange, loadLedger, type SlotChange, saveLedger } from "./slot-ledger.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-ledger-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the ledger round-trips through an atomic write (0600); a missing or broken one starts empty, logged", () => {
  const path = join(dir, "slots.json");
  const lines: string[] = [];
  expect(loadLedger(path, (l) => lines.push(l))).toEqual({ slots: {} });
  saveLedger(path, { slots: { A: { version: "1", writtenAt: 2 } } });
  expect(loadLedger(path)).toEqual({ slots: { A: { version: "1", writtenAt: 2 } } });
  expect(statSync(path).mode & 0o777).toBe(0o600);
  writeFileSync(path, "{half");
  expect(loadLedger(path, (l) => lines.push(l))).toEqual({ slots: {} });
  expect(lines[0]).toContain("slots.json is unreadable");
});

test("the last change reads as a sentence for each outcome", () => {
  const change: SlotChange = {
    kind: "upgrade",
    slot: "B",
    fromVersion: "1",
    toVersion: "2",
    seq: 2,
    requestedAt: 0,
    outcome: "committed",
  };
  expect(describeChange(undefined)).toBe("");
  expect(describeChange(change)).toBe("upgrade to 2 (slot B) committed");
  expect(describeChange({ ...change, outcome: "pending" })).toBe("upgrade to 2 (slot B) in progress");
  expect(describeChange({ ...change, kind: "rollback", outcome: "rolled-back", reason: "why" })).toBe(
    "rollback to 2 (slot B) rolled back: why",
  );
});
