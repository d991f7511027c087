import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020";
import { parseAllDocuments } from "yaml";
import { machineConfigJsonSchema } from "./json-schema.ts";
import { at } from "./raw.ts";
import { validateConfig } from "./validate.ts";

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

describe("the committed schema.json and validateConfig agree on the corpus", () => {
  const committed = JSON.parse(readFileSync(new URL("../schema.json", import.meta.url), "utf8"));
  const matches = new Ajv2020({ allErrors: true }).compile(committed);
  const testdata = new URL("../testdata/", import.meta.url);
  const read = (name: string) => readFileSync(new URL(name, testdata), "utf8");
  /** The v1alpha1 document of a config stream, as plain data (JSON Schema sees no YAML). */
  const machineDocument = (text: string): unknown =>
    parseAllDocuments(text)
      .map((d) => (d.errors.length === 0 ? d.toJS() : undefined))
      .find((v) => v !== null && typeof v === "object" && "version" in v && !("apiVersion" in v));

  test("the valid configs are valid by both", () => {
    for (const name of ["controlplane.yaml", "worker.yaml"]) {
      expect({ name, schema: matches(machineDocument(read(name))) }).toEqual({ name, schema: true });
      expect(validateConfig(read(name), { mode: "metal", strict: true }).ok).toBe(true);
    }
  });

  test("what the JSON Schema refuses, validateConfig refuses too (it is the authority)", () => {
    const refusedBySchema: string[] = [];
    for (const name of readdirSync(new URL("broken/", testdata)).filter((f) => f.endsWith(".yaml"))) {
      const text = read(`broken/${name}`);
      const doc = machineDocument(text);
      if (doc === undefined || matches(doc)) continue;
      refusedBySchema.push(name);
      const { mode, strict } = JSON.parse(read(`broken/${name.replace(/\.yaml$/, ".expected.json")}`));
      expect({ name, ok: validateConfig(text, { mode, strict }).ok }).toEqual({ name, ok: false });
    }
    expect(refusedBySchema).toEqual(
      expect.arrayContaining([
        "unknown-fields.yaml",
        "unsupported-version.yaml",
        "worker-missing-join.yaml",
        "worker-with-secrets.yaml",
        "wrong-types.yaml",
      ]),
    );
  });

  test("schema-level mistakes in a valid config are invalid by both", () => {
    const worker = read("worker.yaml");
    const mistakes = [
      worker.replace("type: worker", "type: boss"), // enum
      worker.replace("  type: worker\n", ""), // required
      worker.replace("dhcp: true", "dhcp: yes please"), // type
      worker.replace("dhcp: true", "dhcp: true\n        mtu: 20"), // minimum
      worker.replace("  network:\n", "  network:\n    hostnam: x\n"), // additionalProperties
      worker.replace("  kubelet:\n", "  kubelet:\n    extraArgs: {Bad_Flag: x}\n"), // propertyNames pattern
    ];
    for (const text of mistakes) {
      expect(matches(machineDocument(text))).toBe(false);
      expect(validateConfig(text, { mode: "metal" }).ok).toBe(false);
    }
  });
});
