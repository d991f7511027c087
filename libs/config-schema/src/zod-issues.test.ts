import { expect, test } from "bun:test";
import * as z from "zod";
import { describeValue, zodIssuesToDrafts } from "./zod-issues.ts";

const Schema = z.strictObject({
  name: z.string(),
  size: z.number().int().min(1),
  mode: z.enum(["a", "b"]),
  tags: z.array(z.string()).optional(),
  labels: z.record(z.string().regex(/^[a-z]+$/, { error: "lowercase only" }), z.string()).optional(),
});

function convert(value: unknown) {
  const result = Schema.safeParse(value);
  if (result.success) return [];
  return zodIssuesToDrafts(result.error.issues, value, Schema, 2).map((d) => ({
    path: d.path.join("."),
    code: d.code,
    message: d.message,
    anchor: d.anchor,
  }));
}

test("missing fields are 'required' anchored at the parent, whatever zod calls them", () => {
  expect(convert({ size: 1, mode: "a" })).toEqual([
    { path: "name", code: "required", message: "required field is missing", anchor: "parent" },
  ]);
  expect(convert({ name: "x", size: 1 })).toEqual([
    { path: "mode", code: "required", message: "required field is missing", anchor: "parent" },
  ]);
});

test("type errors name what was expected and what was found, with a quoting hint", () => {
  expect(convert({ name: 5, size: 1, mode: "a" })[0]?.message).toBe(
    'expected a string, got an integer (5); quote it to make it a string: "5"',
  );
  expect(convert({ name: null, size: 1, mode: "a" })[0]?.message).toBe(
    "expected a string, got null (empty value)",
  );
  expect(convert({ name: "x", size: 1.5, mode: "a" })[0]).toMatchObject({
    code: "invalid_type",
    message: "expected an integer, got a number (1.5)",
  });
});

test("one unknown_field per unknown key, anchored at the key, with suggestions", () => {
  const out = convert({ name: "x", size: 1, mode: "a", nmae: 1, zzz: 2 });
  expect(out).toEqual([
    {
      path: "nmae",
      code: "unknown_field",
      message: 'unknown field "nmae" (did you mean "name"?)',
      anchor: "key",
    },
    { path: "zzz", code: "unknown_field", message: 'unknown field "zzz"', anchor: "key" },
  ]);
});

test("enums, ranges, record keys", () => {
  expect(convert({ name: "x", size: 0, mode: "c" })).toEqual([
    { path: "size", code: "out_of_range", message: "must be >= 1 (got 0)", anchor: "value" },
    {
      path: "mode",
      code: "invalid_value",
      message: 'must be one of "a", "b" (got a string ("c"))',
      anchor: "value",
    },
  ]);
  expect(convert({ name: "x", size: 1, mode: "a", labels: { Bad: "v" } })).toEqual([
    { path: "labels.Bad", code: "invalid_key", message: 'invalid key "Bad": lowercase only', anchor: "key" },
  ]);
});

test("describeValue", () => {
  expect(describeValue([1])).toBe("a list");
  expect(describeValue({})).toBe("a map");
  expect(describeValue(true)).toBe("a boolean (true)");
  expect(describeValue("x".repeat(50))).toContain("...");
});
