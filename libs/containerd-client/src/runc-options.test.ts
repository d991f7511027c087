import { expect, test } from "bun:test";
import { RUNC_OPTIONS_TYPE_URL, runcOptionsAny } from "./runc-options.ts";

test("root is field 7, length-delimited, under containerd's type URL", () => {
  const any = runcOptionsAny({ root: "/tmp/r" });
  expect(any.typeUrl).toBe(RUNC_OPTIONS_TYPE_URL);
  expect([...any.value]).toEqual([0x3a, 6, ...new TextEncoder().encode("/tmp/r")]);
});

test("a root longer than 127 bytes takes a two-byte length", () => {
  const root = `/${"r".repeat(199)}`;
  const any = runcOptionsAny({ root });
  expect([...any.value.slice(0, 3)]).toEqual([0x3a, 0xc8, 0x01]);
  expect(new TextDecoder().decode(any.value.slice(3))).toBe(root);
});
