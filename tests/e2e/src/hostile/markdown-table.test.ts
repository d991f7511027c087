import { expect, test } from "bun:test";
import { markdownTable } from "./markdown-table.ts";

test("columns padded to their widest cell; a missing cell is empty", () => {
  expect(markdownTable(["a", "figure"], [["long cell", "1"], ["x"]])).toBe(
    [
      "| a         | figure |",
      "| --------- | ------ |",
      "| long cell | 1      |",
      "| x         |        |",
    ].join("\n"),
  );
});
