import { expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
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
  // One line of [{},{},…] passes the size and line limits: 60,000 maps in 180 KB.
  const text = `machine:\n  files: [${Array(60_000).fill("{}").join(",")}]\n`;
  const stream = parseStream(text);
  expect(stream.documents).toEqual([]);
  expect(stream.asts).toEqual([]);
  expect(stream.issues).toEqual([
    expect.objectContaining({
      code: "too_many_nodes",
      severity: "error",
      message: "the config has more YAML nodes (values, keys, lists and maps) than the limit of 50,000",
    }),
  ]);
  // Counted: scalars, flow collections, aliases, sequence entries and explicit keys.
  expect(parseStream("a: &c [1, {b: *c}]\n", { maxNodes: 6 }).documents).toHaveLength(1);
  expect(parseStream("a: &c [1, {b: *c}]\n", { maxNodes: 5 }).issues).toEqual([
    expect.objectContaining({ code: "too_many_nodes", offset: 14 }),
  ]);
  expect(parseStream("- d\n- e\n- ? f\n", { maxNodes: 7 }).issues).toEqual([]);
  expect(parseStream("- d\n- e\n- ? f\n", { maxNodes: 6 }).issues[0]?.code).toBe("too_many_nodes");
});

test("duplicate keys: yaml's own errors and positions, in flow and block maps, at every depth", () => {
  const cases = [
    "a: 1\nb: {x: 1, y: 2, x: 3}\nc:\n  - k: 1\n    k: 2\na: 4\n",
    "1: x\n'1': y\n", // different keys: 1 and "1"
    ": a\n: b\n", // two empty keys
    "&x a: 1\n*x : 2\n",
    "---\na: 1\na: 2\n---\nb: [{c: 1, c: 2}]\n",
  ];
  for (const text of cases) {
    const expected = parseAllDocuments(text, { prettyErrors: false }).flatMap((doc, index) =>
      doc.errors.map((e) => ({ index, code: e.code, offset: e.pos[0] })),
    );
    const actual = parseStream(text).issues.map((i) => ({
      index: i.document,
      code: i.code === "duplicate_key" ? "DUPLICATE_KEY" : i.code,
      offset: i.offset,
    }));
    const order = (a: { index: number; offset?: number }, b: { index: number; offset?: number }) =>
      a.index - b.index || (a.offset ?? 0) - (b.offset ?? 0);
    expect({ text, issues: actual.sort(order) }).toEqual({ text, issues: expected.sort(order) });
  }
  expect(parseStream(cases[0] as string).issues[0]?.message).toBe("Map keys must be unique (DUPLICATE_KEY)");
});

test("a 20,000-key map with one repeated key yields exactly that error", () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`);
  keys.push("k7: again");
  const stream = parseStream(`${keys.join("\n")}\n`);
  expect(stream.issues.map((i) => i.code)).toEqual(["duplicate_key"]);
  expect(stream.issues[0]?.offset).toBe(keys.slice(0, -1).join("\n").length + 1);
});
