import { expect, test } from "bun:test";
import { parse } from "yaml";
import { renderData, renderTable } from "./output-format.ts";

test("tables align columns and trim trailing spaces", () => {
  expect(
    renderTable(
      ["NAME", "NODES"],
      [
        ["a-long-name", "1"],
        ["b", ""],
      ],
    ),
  ).toBe("NAME          NODES\na-long-name   1\nb\n");
});

test("json and yaml render the same data", () => {
  const data = [{ name: "x", nodes: ["10.0.0.1"] }];
  expect(JSON.parse(renderData("json", data))).toEqual(data);
  expect(parse(renderData("yaml", data))).toEqual(data);
});
