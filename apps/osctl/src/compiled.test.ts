import { expect, test } from "bun:test";
import { isCompiled } from "./compiled.ts";

test("from source, osctl knows it is not the compiled binary", () => {
  expect(isCompiled).toBe(false);
});
