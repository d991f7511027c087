import { expect, test } from "bun:test";
import { MODES } from "./types.ts";

test("the three modes, metal first", () => {
  expect(MODES).toEqual(["metal", "qemu", "container"]);
});
