import { expect, test } from "bun:test";
import { ServiceInfoSchema } from "@bronze/api";
import { create } from "@bufbuild/protobuf";
import { createTestIo } from "../testing/test-io.ts";
import type { NodeResult } from "./fan-out.ts";
import { messageData, type NodeView, printNodeResults, renderNodeTable } from "./node-output.ts";

const view: NodeView<number[]> = {
  headers: ["N", "SQUARE"],
  rows: (ns) => ns.map((n) => [String(n), String(n * n)]),
  data: (ns) => ({ numbers: ns }),
};
const results: NodeResult<number[]>[] = [
  { node: "a", value: [2, 3] },
  { node: "b", error: "unavailable: down" },
];

test("several nodes: a NODE column; one node: none", () => {
  expect(renderNodeTable(results, view, true)).toBe("NODE   N   SQUARE\na      2   4\na      3   9\n");
  expect(renderNodeTable([{ node: "a", value: [4] }], view, false)).toBe("N   SQUARE\n4   16\n");
});

test("errors go to stderr with the node, and make the exit code 1", () => {
  const io = createTestIo();
  expect(printNodeResults(io, "table", results, view)).toBe(1);
  expect(io.out.join("")).toContain("NODE   N   SQUARE");
  expect(io.err.join("")).toBe("error: b: unavailable: down\n");
  io.cleanup();
});

test("JSON and YAML are a list of {node, ...}, errors included", () => {
  const io = createTestIo();
  expect(printNodeResults(io, "json", results, view)).toBe(1);
  expect(JSON.parse(io.out.join(""))).toEqual([
    { node: "a", numbers: [2, 3] },
    { node: "b", error: "unavailable: down" },
  ]);
  io.out.length = 0;
  expect(printNodeResults(io, "yaml", [{ node: "a", value: [1] }], view)).toBe(0);
  expect(io.out.join("")).toBe("- node: a\n  numbers:\n    - 1\n");
  io.cleanup();
});

test("protobuf messages become plain JSON with every field", () => {
  const info = create(ServiceInfoSchema, { id: "apid", state: "Running", pid: 42 });
  expect(messageData(ServiceInfoSchema, info)).toMatchObject({
    id: "apid",
    state: "Running",
    pid: 42,
    runs: 0,
    up: false,
  });
});
