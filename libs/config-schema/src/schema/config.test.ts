import { expect, test } from "bun:test";
import { checkRule, controlplane, errorsOf, modified, type RuleCase } from "../../test/fixtures.ts";
import { MachineConfigSchema } from "./config.ts";

const cases: RuleCase[] = [
  {
    name: "version must be v1alpha1 when present",
    bad: { version: "v1alpha2" },
    good: { version: "v1alpha1" },
    path: "version",
    code: "unsupported_version",
  },
  {
    name: "debug is a boolean",
    bad: { debug: "no" },
    good: { debug: false },
    path: "debug",
    code: "invalid_type",
  },
  { name: "persist is a boolean", bad: { persist: 1 }, good: {}, path: "persist", code: "invalid_type" },
  { name: "machine is required", bad: { machine: undefined }, good: {}, path: "machine", code: "required" },
  { name: "cluster is required", bad: { cluster: undefined }, good: {}, path: "cluster", code: "required" },
  { name: "machine is a map", bad: { machine: ["worker"] }, good: {}, path: "machine", code: "invalid_type" },
  {
    name: "unknown top-level fields",
    bad: { kubernetes: {} },
    good: {},
    path: "kubernetes",
    code: "unknown_field",
  },
];

test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, rule) => {
  const { bad, good } = checkRule(rule);
  expect(bad).toContainEqual({ path: rule.path, code: rule.code });
  expect(good).toEqual([]);
});

test("the schema accepts the control-plane corpus config and infers its type", () => {
  const parsed = MachineConfigSchema.parse(controlplane());
  expect(parsed.machine.type).toBe("controlplane");
  expect(parsed.cluster.network?.podSubnets).toEqual(["10.244.0.0/16", "fd00:244::/56"]);
});

test("a missing machine reports only that, not every field the type rules would require under it", () => {
  const errors = errorsOf([modified(controlplane(), { machine: undefined })]);
  expect(errors).toEqual([{ path: "machine", code: "required" }]);
});
