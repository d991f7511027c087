import { expect, test } from "bun:test";
import { parseDocument } from "yaml";
import { LineIndex, locate } from "./positions.ts";

const text = "a:\n  b: 1\n  list:\n    - x\n    - {y: 2}\n  empty:\nref: &r {z: 3}\nalias: *r\n";
const doc = parseDocument(text);
const lines = new LineIndex(text);
const pos = (path: (string | number)[], anchor: "value" | "key" | "parent" = "value") =>
  lines.position(locate(doc, path, anchor));

test("LineIndex converts offsets to 1-based line:column", () => {
  expect(lines.position(0)).toEqual({ line: 1, column: 1 });
  expect(lines.position(3)).toEqual({ line: 2, column: 1 });
  expect(lines.position(text.length)).toEqual({ line: 9, column: 1 });
});

test("values, keys, list items and nested flow maps", () => {
  expect(pos(["a", "b"])).toEqual({ line: 2, column: 6 });
  expect(pos(["a", "b"], "key")).toEqual({ line: 2, column: 3 });
  expect(pos(["a", "list", 1, "y"])).toEqual({ line: 5, column: 11 });
  expect(pos(["a", "list", 0])).toEqual({ line: 4, column: 7 });
});

test("missing paths fall back to the nearest existing ancestor; empty values to their key", () => {
  expect(pos(["a", "missing"], "parent")).toEqual({ line: 2, column: 3 });
  expect(pos(["a", "list", 7])).toEqual({ line: 4, column: 5 });
  expect(pos(["a", "empty"])).toEqual({ line: 6, column: 3 });
  expect(pos(["a", "b", "deeper"])).toEqual({ line: 2, column: 6 });
});

test("aliases resolve to their anchor's node", () => {
  expect(pos(["alias", "z"])).toEqual({ line: 7, column: 13 });
});
