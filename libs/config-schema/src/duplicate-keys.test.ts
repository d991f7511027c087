import { expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { parseStream } from "./parse.ts";

// addDuplicateKeyErrors runs inside parseStream (which parses with uniqueKeys: false).

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
  const stream = parseStream(`${keys.join("\n")}\n`, { maxNodes: 50_000 });
  expect(stream.issues.map((i) => i.code)).toEqual(["duplicate_key"]);
  expect(stream.issues[0]?.offset).toBe(keys.slice(0, -1).join("\n").length + 1);
});
