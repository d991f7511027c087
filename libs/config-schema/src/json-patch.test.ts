import { describe, expect, test } from "bun:test";
import { applyJsonPatch, JsonPatchFailure } from "./json-patch.ts";

const doc = () => ({ machine: { type: "worker", certSANs: ["a", "b"], network: { hostname: "w1" } } });

function failure(ops: unknown[]): JsonPatchFailure {
  try {
    applyJsonPatch(doc(), ops);
  } catch (err) {
    if (err instanceof JsonPatchFailure) return err;
    throw err;
  }
  throw new Error("expected the patch to fail");
}

describe("operations", () => {
  test("add: map member, list insert, list append with -", () => {
    const out = applyJsonPatch(doc(), [
      { op: "add", path: "/machine/token", value: "t" },
      { op: "add", path: "/machine/certSANs/0", value: "z" },
      { op: "add", path: "/machine/certSANs/-", value: "y" },
    ]);
    expect(out).toEqual({
      machine: { type: "worker", certSANs: ["z", "a", "b", "y"], network: { hostname: "w1" }, token: "t" },
    });
  });
  test("remove", () => {
    expect(
      applyJsonPatch(doc(), [
        { op: "remove", path: "/machine/certSANs/0" },
        { op: "remove", path: "/machine/network" },
      ]),
    ).toEqual({ machine: { type: "worker", certSANs: ["b"] } });
  });
  test("replace", () => {
    expect(applyJsonPatch(doc(), [{ op: "replace", path: "/machine/certSANs/1", value: "c" }])).toEqual({
      machine: { type: "worker", certSANs: ["a", "c"], network: { hostname: "w1" } },
    });
  });
  test("move and copy", () => {
    const out = applyJsonPatch(doc(), [
      { op: "copy", from: "/machine/network/hostname", path: "/machine/name" },
      { op: "move", from: "/machine/certSANs", path: "/machine/network/sans" },
    ]);
    expect(out).toEqual({
      machine: { type: "worker", network: { hostname: "w1", sans: ["a", "b"] }, name: "w1" },
    });
  });
  test("test passes on deep equality", () => {
    expect(applyJsonPatch(doc(), [{ op: "test", path: "/machine/certSANs", value: ["a", "b"] }])).toEqual(
      doc(),
    );
  });
  test("escaped tokens", () => {
    expect(
      applyJsonPatch({ sysctls: {} }, [{ op: "add", path: "/sysctls/net~1core~0x", value: "1" }]),
    ).toEqual({ sysctls: { "net/core~x": "1" } });
  });
  test("does not mutate its input", () => {
    const input = doc();
    applyJsonPatch(input, [{ op: "remove", path: "/machine/type" }]);
    expect(input.machine.type).toBe("worker");
  });
});

describe("failures name the op index and reason", () => {
  test("missing paths", () => {
    expect(
      failure([
        { op: "test", path: "/machine/type", value: "worker" },
        { op: "remove", path: "/machine/nope" },
      ]),
    ).toMatchObject({ opIndex: 1, code: "patch_path_not_found", field: "path" });
    expect(failure([{ op: "replace", path: "/machine/x/y", value: 1 }]).code).toBe("patch_path_not_found");
    expect(failure([{ op: "add", path: "/machine/certSANs/5", value: "x" }]).message).toContain(
      "out of range",
    );
    expect(failure([{ op: "copy", from: "/nope", path: "/machine/x" }])).toMatchObject({
      field: "from",
      code: "patch_path_not_found",
    });
  });
  test("failed tests", () => {
    expect(failure([{ op: "test", path: "/machine/type", value: "controlplane" }])).toMatchObject({
      opIndex: 0,
      code: "patch_test_failed",
    });
  });
  test("malformed operations", () => {
    expect(failure([{ op: "merge", path: "/a" }])).toMatchObject({ code: "patch_invalid_op", field: "op" });
    expect(failure([{ op: "add", path: "/a" }])).toMatchObject({ code: "patch_invalid_op", field: "value" });
    expect(failure([{ op: "move", path: "/a" }])).toMatchObject({ code: "patch_invalid_op", field: "from" });
    expect(failure([{ op: "remove", path: "machine" }])).toMatchObject({ code: "patch_invalid_pointer" });
    expect(failure(["remove"])).toMatchObject({ code: "patch_invalid_op" });
    expect(failure([{ op: "move", from: "/machine", path: "/machine/network/x" }]).message).toContain(
      "its own child",
    );
    expect(failure([{ op: "remove", path: "" }]).message).toContain("whole document");
  });
});
