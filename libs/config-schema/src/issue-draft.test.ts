import { expect, test } from "bun:test";
import { draft } from "./issue-draft.ts";

test("draft defaults to an error anchored at the value", () => {
  expect(draft(1, ["a"], "c", "m")).toEqual({
    document: 1,
    path: ["a"],
    anchor: "value",
    message: "m",
    code: "c",
    severity: "error",
  });
  expect(draft(0, [], "c", "m", { anchor: "key", severity: "warning", offset: 7 })).toMatchObject({
    anchor: "key",
    severity: "warning",
    offset: 7,
  });
});
