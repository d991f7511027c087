import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { machineConfigJsonSchema } from "./json-schema.ts";
import { at } from "./raw.ts";

test("is a strict draft 2020-12 schema of the v1alpha1 document", () => {
  const schema = machineConfigJsonSchema();
  const p = (...path: string[]) => at(schema, ...path);
  expect(p("$schema")).toBe("https://json-schema.org/draft/2020-12/schema");
  expect(p("required")).toEqual(["version", "machine", "cluster"]);
  expect(p("additionalProperties")).toBe(false);
  expect(p("properties", "machine", "properties", "type", "enum")).toEqual(["controlplane", "worker"]);
  expect(
    p(
      "properties",
      "machine",
      "properties",
      "network",
      "properties",
      "interfaces",
      "items",
      "additionalProperties",
    ),
  ).toBe(false);
  expect(p("properties", "persist", "deprecated")).toBe(true);
});

test("the committed schema.json is current (also checked by `bun run check:generated`)", () => {
  const committed = readFileSync(new URL("../schema.json", import.meta.url), "utf8");
  expect(JSON.parse(committed)).toEqual(machineConfigJsonSchema());
});
