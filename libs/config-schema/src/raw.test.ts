import { expect, test } from "bun:test";
import { asArray, asRecord, asString, at, has, nonEmpty } from "./raw.ts";

test("readers never throw on unexpected shapes", () => {
  expect(asRecord([])).toBeUndefined();
  expect(asRecord(null)).toBeUndefined();
  expect(asRecord({ a: 1 })).toEqual({ a: 1 });
  expect(asArray("x")).toEqual([]);
  expect(asString(1)).toBeUndefined();
  expect(nonEmpty("")).toBeUndefined();
  expect(nonEmpty("k")).toBe("k");
  expect(at({ a: [{ b: 2 }] }, "a", 0, "b")).toBe(2);
  expect(at("s", "a")).toBeUndefined();
  expect(has({ a: { b: undefined } }, "a", "b")).toBe(true);
  expect(has({ a: [] }, "a", "length")).toBe(false);
});
