import { describe, expect, test } from "bun:test";
import { LineSplitter } from "./line-splitter.ts";

function split(chunks: Array<string | Uint8Array>, max?: number): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), max);
  for (const c of chunks) s.push(c);
  s.end();
  return lines;
}

describe("LineSplitter", () => {
  test("lines across chunk boundaries, CRLF, and a last line without newline", () => {
    expect(split(["he", "llo\nwor", "ld\r\n", "\nlast"])).toEqual(["hello", "world", "", "last"]);
  });

  test("multi-byte UTF-8 split between chunks", () => {
    const bytes = new TextEncoder().encode("héllo → ok\n");
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toEqual(["héllo → ok"]);
  });

  test("over-long lines are cut, so nothing is buffered without bound", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 4);
    s.push("abcdefghij");
    expect(lines).toEqual(["abcd", "efgh"]); // "ij" still pending
    s.push("\nxyz\n");
    expect(lines).toEqual(["abcd", "efgh", "ij", "xyz"]);
    expect(split(["0123456789\n"], 4)).toEqual(["0123", "4567", "89"]);
  });
});
