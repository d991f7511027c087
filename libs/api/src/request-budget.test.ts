import { expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import { meterRequestBody, RequestBudget } from "./request-budget.ts";
import { requestLimitFor } from "./server-limits.ts";

test("one call's limit, the shared budget, and bytes given back when a call ends", () => {
  const budget = new RequestBudget(100, 60, 30_000);
  const a = budget.charge();
  const b = budget.charge();
  expect(a.add(50)).toBeUndefined();
  const tooBig = a.add(11);
  expect(tooBig?.code).toBe(Code.ResourceExhausted);
  expect(tooBig?.rawMessage).toBe(
    "the request is larger than 60 bytes, the limit for one call of this method",
  );
  expect(b.add(50)).toBeUndefined();
  const over = budget.charge().add(1);
  expect(over?.code).toBe(Code.ResourceExhausted);
  expect(over?.rawMessage).toContain("the server is already holding 100 bytes of requests in flight");
  a.release();
  a.release();
  expect(budget.used).toBe(50);
  expect(budget.charge().add(50)).toBeUndefined();
});

test("a call's method may lower its limit, never raise it", () => {
  const budget = new RequestBudget(100, 60, 30_000);
  expect(budget.charge(10).add(11)?.rawMessage).toBe(
    "the request is larger than 10 bytes, the limit for one call of this method",
  );
  expect(budget.charge(1000).add(61)?.code).toBe(Code.ResourceExhausted);
});

test("requestLimitFor: 8 MiB for ApplyConfiguration and EtcdRecover, 64 KiB for every other method", () => {
  expect(requestLimitFor("/bronze.machine.v1.MachineService/ApplyConfiguration")).toBe(8 << 20);
  expect(requestLimitFor("/bronze.machine.v1.MachineService/EtcdRecover")).toBe(8 << 20);
  expect(requestLimitFor("/bronze.machine.v1.MachineService/Version")).toBe(64 << 10);
  expect(requestLimitFor("/bronze.machine.v1.MachineService/Read")).toBe(64 << 10);
});

test("a metered body ends with the error once past a limit", async () => {
  const budget = new RequestBudget(10, 10, 30_000);
  const charge = budget.charge();
  const req = {
    iterator: () =>
      (async function* () {
        yield new Uint8Array(6);
        yield new Uint8Array(6);
        yield new Uint8Array(6);
      })(),
  };
  meterRequestBody(req, charge);
  const seen: number[] = [];
  let error: unknown;
  try {
    for await (const chunk of req.iterator()) seen.push((chunk as Uint8Array).length);
  } catch (e) {
    error = e;
  }
  expect(seen).toEqual([6]);
  expect(String(error)).toContain("larger than 10 bytes");
  charge.release();
  expect(budget.used).toBe(0);
});

test("a body still incomplete at its deadline ends with DeadlineExceeded; a complete one is never cut", async () => {
  const budget = new RequestBudget(100, 100, 50);
  const slow = budget.charge();
  const req = {
    iterator: () =>
      (async function* () {
        yield new Uint8Array(1);
        await new Promise(() => {}); // the rest never comes
      })(),
  };
  meterRequestBody(req, slow);
  let error: unknown;
  try {
    for await (const _ of req.iterator());
  } catch (e) {
    error = e;
  }
  expect(String(error)).toContain("the request did not arrive within 0.05 s");
  slow.release();

  const quick = budget.charge();
  let quickExpired = false;
  quick.expired.catch(() => {
    quickExpired = true;
  });
  const whole = {
    iterator: () =>
      (async function* () {
        yield new Uint8Array(1);
      })(),
  };
  meterRequestBody(whole, quick);
  for await (const _ of whole.iterator());
  // A charge made after it reaches its deadline: so would have quick's, had its body not arrived.
  await budget.charge().expired.catch(() => {});
  expect(quickExpired).toBe(false);
  quick.release();
});
