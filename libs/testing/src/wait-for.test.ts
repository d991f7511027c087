import { expect, test } from "bun:test";
import { eventually, waitFor, within } from "./wait-for.ts";

test("returns the first defined value", async () => {
  let calls = 0;
  const value = await waitFor(async () => (++calls === 3 ? "up" : undefined), {
    what: "thing",
    timeoutMs: 5000,
    intervalMs: 1,
  });
  expect(value).toBe("up");
  expect(calls).toBe(3);
});

test("times out with what was awaited and the probe's last error", async () => {
  const wait = waitFor(
    async () => {
      throw new Error("connection refused");
    },
    { what: "apid", timeoutMs: 30, intervalMs: 5 },
  );
  await expect(wait).rejects.toThrow(/^apid: not within 30 ms \(last: connection refused\)$/);
});

test("abandons as soon as told why", async () => {
  let probes = 0;
  const wait = waitFor(
    async () => {
      probes++;
      return undefined;
    },
    {
      what: "node",
      timeoutMs: 60_000,
      intervalMs: 1,
      abandon: () => (probes >= 2 ? "exited with 1" : undefined),
    },
  );
  await expect(wait).rejects.toThrow("node: gave up: exited with 1 (last: not yet)");
  expect(probes).toBe(2);
});

test("eventually resolves once a condition holds and names it when it never does", async () => {
  let n = 0;
  await expect(eventually("counter reaches 3", () => ++n >= 3, 5000, 1)).resolves.toBe(true);
  await expect(eventually("never", () => false, 30, 5)).rejects.toThrow(/^never: not within 30 ms/);
});

test("within: the answer, or a WaitError naming what never answered", async () => {
  expect(await within(1000, "quick", Promise.resolve(7))).toBe(7);
  const never = within(20, "a body that never ends", new Promise(() => {}));
  await expect(never).rejects.toThrow("a body that never ends: no answer within 20 ms");
});
