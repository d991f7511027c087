import { expect, test } from "bun:test";
import * as z from "zod";
import { MachineConfigSchema } from "./schema/config.ts";
import { knownKeys, schemaAt, unwrap } from "./schema-at.ts";

test("walks objects, arrays and records through optional wrappers", () => {
  expect(knownKeys(MachineConfigSchema, ["machine", "network", "interfaces", 3])).toContain("vlans");
  expect(schemaAt(MachineConfigSchema, ["machine", "sysctls", "any.key"])).toBeInstanceOf(z.ZodString);
  expect(schemaAt(MachineConfigSchema, ["machine", "nope"])).toBeUndefined();
  expect(knownKeys(MachineConfigSchema, [])).toEqual(["version", "debug", "persist", "machine", "cluster"]);
});

test("unwrap", () => {
  expect(unwrap(z.string().optional().nullable())).toBeInstanceOf(z.ZodString);
});
