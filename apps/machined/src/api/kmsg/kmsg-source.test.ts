import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { runningAsRoot } from "@bronze/testing";
import { parseKmsgRecord } from "./kmsg-record.ts";
import { deviceKmsgSource } from "./kmsg-source.ts";

// The real /dev/kmsg: readable as root.
test.skipIf(!runningAsRoot())(
  "reads the real kernel log one record at a time until drained (needs root)",
  () => {
    expect(existsSync("/dev/kmsg")).toBe(true);
    const reader = deviceKmsgSource().open();
    try {
      const records: string[] = [];
      for (let r = reader.read(); r !== undefined && records.length < 100_000; r = reader.read())
        records.push(r);
      expect(records.length).toBeGreaterThan(0);
      const seqs = records.map((r) => parseKmsgRecord(r)?.seq ?? -1n);
      expect(seqs.every((s) => s >= 0n)).toBe(true);
      // Sequence numbers increase (a gap is possible when the ring overwrote records).
      expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? s))).toBe(true);
      // Drained: the loop ended on "nothing for now" rather than blocking or running on.
      expect(records.length).toBeLessThan(100_000);
    } finally {
      reader.close();
    }
  },
);

test("a missing device fails with ENOENT", () => {
  expect(() => deviceKmsgSource("/nonexistent/kmsg").open()).toThrow(/ENOENT/);
});
