import { expect, test } from "bun:test";
import { StepNotRunError, Steps } from "./steps.ts";

test("test() registers the step under its name, with its timeout", async () => {
  const registered: Array<[string, () => Promise<void>, number | undefined]> = [];
  const steps = new Steps((name, body, timeoutMs) => registered.push([name, body, timeoutMs]));
  let ran = false;
  steps.test(
    "boot",
    [],
    () => {
      ran = true;
    },
    1000,
  );
  expect(registered.map(([name, , timeout]) => [name, timeout])).toEqual([["boot", 1000]]);
  await registered[0]?.[1]();
  expect(ran).toBe(true);
  expect(steps.outcome("boot")).toBe("passed");
});

test("a step runs once what it needs has passed, and records how it went", async () => {
  const steps = new Steps(() => {});
  const ran: string[] = [];
  await steps.step("create", [], () => {
    ran.push("create");
  })();
  await steps.step("use", ["create"], () => {
    ran.push("use");
  })();
  await expect(
    steps.step("break", ["create"], () => {
      throw new Error("assertion failed");
    })(),
  ).rejects.toThrow("assertion failed");
  expect(ran).toEqual(["create", "use"]);
  expect([steps.outcome("create"), steps.outcome("use"), steps.outcome("break")]).toEqual([
    "passed",
    "passed",
    "failed",
  ]);
});

test("a step whose need failed is not run, says which, and is itself 'not run' for the next", async () => {
  const steps = new Steps(() => {});
  await steps
    .step("cluster create", [], () => {
      throw new Error("no QEMU");
    })()
    .catch(() => {});
  let ran = false;
  const second = steps.step("reboot", ["cluster create"], () => {
    ran = true;
  })();
  await expect(second).rejects.toBeInstanceOf(StepNotRunError);
  await expect(second).rejects.toThrow(
    'not run: this step needs "cluster create", which failed; see that test\'s error',
  );
  expect(ran).toBe(false);
  expect(steps.outcome("reboot")).toBe("not run");
  await expect(steps.step("shutdown", ["reboot"], () => {})()).rejects.toThrow(
    'needs "reboot", which was not run',
  );
  await expect(steps.step("destroy", ["never-declared"], () => {})()).rejects.toThrow(
    'needs "never-declared", which has not run',
  );
});
