import { expect, test } from "bun:test";
import { buildRuntimeSpec } from "./runtime-spec.ts";
import { PROCESS_TYPE_URL, processToAny, SPEC_TYPE_URL, specFromAny, specToAny } from "./spec-any.ts";

test("specs travel as JSON under containerd's type URLs", () => {
  const spec = buildRuntimeSpec({ id: "a", namespace: "n", args: ["/x"] });
  const any = specToAny(spec);
  expect(any.typeUrl).toBe(SPEC_TYPE_URL);
  expect(JSON.parse(new TextDecoder().decode(any.value))).toEqual(spec);
  expect(specFromAny(any, "op")).toEqual(spec);
  expect(specFromAny(undefined, "op")).toBeUndefined();
  expect(processToAny(spec.process ?? { user: { uid: 0, gid: 0 }, args: [], cwd: "/" }).typeUrl).toBe(
    PROCESS_TYPE_URL,
  );
  expect(() => specFromAny({ ...any, typeUrl: "other" }, "containers.get")).toThrow(
    "container spec has unexpected type other",
  );
});
