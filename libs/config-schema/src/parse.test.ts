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
