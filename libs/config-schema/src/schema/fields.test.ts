import { expect, test } from "bun:test";
import * as z from "zod";
import { pkiBase64 } from "../../test/fixtures.ts";
import { certAndKey, certSan, checkedString, flagArgs, permissions, privateKey } from "./fields.ts";

const issuesOf = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues ?? [];

test("checkedString reports the validator's message with its code in params", () => {
  const even = checkedString(
    (v) => (v.length % 2 ? "odd length" : undefined),
    "odd",
    "An even-length string.",
  );
  expect(issuesOf(even, "ab")).toEqual([]);
  expect(issuesOf(even, "abc")).toEqual([
    expect.objectContaining({ code: "custom", message: "odd length", params: { code: "odd" } }),
  ]);
  expect(z.toJSONSchema(even)).toMatchObject({ type: "string", description: "An even-length string." });
});

test("privateKey treats an empty string as absent, certAndKey needs crt", () => {
  expect(issuesOf(privateKey(), "")).toEqual([]);
  expect(issuesOf(privateKey(), pkiBase64("etcd-ca.key"))).toEqual([]);
  expect(issuesOf(certAndKey("x"), { key: "" })).toHaveLength(1);
});

test("permissions are integer mode bits up to 0o7777", () => {
  expect(issuesOf(permissions(), 0o755)).toEqual([]);
  expect(issuesOf(permissions(), 0o17777)[0]?.message).toContain("0o7777");
  expect(issuesOf(permissions(), -1)).toHaveLength(1);
});

test("certSan and flagArgs", () => {
  expect(issuesOf(certSan("x"), "10.0.0.1")).toEqual([]);
  expect(issuesOf(certSan("x"), "*.example.com")).toEqual([]);
  expect(issuesOf(certSan("x"), "a b")).toHaveLength(1);
  expect(issuesOf(flagArgs("x"), { v: "2" })).toEqual([]);
  expect(issuesOf(flagArgs("x"), { "--v": "2" })).toHaveLength(1);
});
