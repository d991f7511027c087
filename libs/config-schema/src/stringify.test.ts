import { expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { CONTROLPLANE_YAML, controlplane, controlplaneDocuments } from "../test/fixtures.ts";
import { MachineConfigSchema } from "./schema/config.ts";
import { stringifyConfig, stringifyDocuments } from "./stringify.ts";
import { validateConfig } from "./validate.ts";

test("round-trips the corpus config through validate and stringify", () => {
  const [config, ...extra] = controlplaneDocuments();
  const text = stringifyConfig(MachineConfigSchema.parse(config), extra);
  const result = validateConfig(text, { mode: "metal", strict: true });
  expect(result.errors).toEqual([]);
  expect(parseAllDocuments(text).map((d) => d.toJS())).toEqual(
    parseAllDocuments(CONTROLPLANE_YAML).map((d) => d.toJS()),
  );
});

test("writes permissions in octal, never folds long base64 lines, keeps schema key order", () => {
  const text = stringifyConfig(MachineConfigSchema.parse(controlplane()));
  expect(text).toContain("permissions: 0o644");
  const crt = text.split("\n").find((l) => l.trimStart().startsWith("crt: "));
  expect(crt?.length).toBeGreaterThan(500);
  expect(text.indexOf("version:")).toBe(0);
  expect(text.indexOf("machine:")).toBeLessThan(text.indexOf("cluster:"));
});

test("typed documents put apiVersion and kind first; numbers-as-strings stay quoted", () => {
  const text = stringifyDocuments([
    { url: "tcp://h:1", name: "n", kind: "KmsgLogConfig", apiVersion: "v1alpha1" },
    { machine: { sysctls: { a: "1" } } },
  ]);
  expect(text).toBe(
    'apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: n\nurl: tcp://h:1\n---\nmachine:\n  sysctls:\n    a: "1"\n',
  );
});

test("shared objects are written out, never as YAML aliases", () => {
  const shared = { interface: "eth0", dhcp: true };
  const text = stringifyDocuments([
    { version: "v1alpha1", machine: { network: { interfaces: [shared, shared] } } },
  ]);
  expect(text).not.toContain("*");
  expect(text).not.toContain("&");
});
