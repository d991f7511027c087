import { expect, test } from "bun:test";
import { parseStream } from "./parse.ts";

test("keeps non-empty documents with their stream index and AST", () => {
  const stream = parseStream("---\na: 1\n---\n---\nb: [2]\n");
  expect(stream.issues).toEqual([]);
  expect(stream.documents.map((d) => [d.index, d.value])).toEqual([
    [0, { a: 1 }],
    [2, { b: [2] }],
  ]);
  expect(stream.asts).toHaveLength(3);
});

test("syntax errors carry offsets and yaml's code; YAML warnings are warnings", () => {
  const stream = parseStream("a: [1,\n");
  expect(stream.issues[0]).toMatchObject({ code: "yaml_syntax", severity: "error" });
  expect(stream.issues[0]?.message).toMatch(/\([A-Z_]+\)$/);
  expect(stream.issues[0]?.offset).toBeNumber();
  const tagged = parseStream("a: !custom x\n");
  expect(tagged.issues).toEqual([
    expect.objectContaining({ code: "yaml_warning", severity: "warning", offset: 3 }),
  ]);
});

test("a stream of more nodes than the limit is refused while lexing, with no document built", () => {
  // One line of [{},{},…] passes the size and line limits: 12,000 maps in 36 KB.
  const text = `machine:\n  files: [${Array(12_000).fill("{}").join(",")}]\n`;
  const stream = parseStream(text);
  expect(stream.documents).toEqual([]);
  expect(stream.asts).toEqual([]);
  expect(stream.issues).toEqual([
    expect.objectContaining({
      code: "too_many_nodes",
      severity: "error",
      message: "the config has more YAML nodes (values, keys, lists and maps) than the limit of 10,000",
    }),
  ]);
  // Counted: scalars (plain, quoted, block), flow collections, aliases, list entries, explicit keys.
  expect(parseStream(`a: "x"\nb: 'y'\nc: |\n  z\n`, { maxNodes: 6 }).issues).toEqual([]);
  expect(parseStream(`a: "x"\nb: 'y'\nc: |\n  z\n`, { maxNodes: 5 }).issues[0]?.code).toBe("too_many_nodes");
  expect(parseStream("a: &c [1, {b: *c}]\n", { maxNodes: 6 }).documents).toHaveLength(1);
  expect(parseStream("a: &c [1, {b: *c}]\n", { maxNodes: 5 }).issues).toEqual([
    expect.objectContaining({ code: "too_many_nodes", offset: 14 }),
  ]);
  expect(parseStream("- d\n- e\n- ? f\n", { maxNodes: 7 }).issues).toEqual([]);
  expect(parseStream("- d\n- e\n- ? f\n", { maxNodes: 6 }).issues[0]?.code).toBe("too_many_nodes");
});
