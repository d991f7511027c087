import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { StreamSlots } from "./stream-slots.ts";

function refusal(fn: () => unknown): ConnectError {
  try {
    fn();
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a refusal");
}

test("each role has its own share; past it RESOURCE_EXHAUSTED names the role and the cap", () => {
  const slots = new StreamSlots(2);
  const a = slots.acquire("os:reader");
  slots.acquire("os:reader");
  const e = refusal(() => slots.acquire("os:reader"));
  expect(e.code).toBe(Code.ResourceExhausted);
  expect(e.rawMessage).toStartWith("os:reader has 2 streaming calls open, the most one role may have (2)");
  expect(slots.open("os:reader")).toBe(2);
  slots.acquire("os:admin"); // not the reader's share
  expect(slots.open("os:admin")).toBe(1);
  a();
  a(); // a second release frees nothing more
  expect(slots.open("os:reader")).toBe(1);
  slots.acquire("os:reader");
  expect(refusal(() => slots.acquire("os:reader")).code).toBe(Code.ResourceExhausted);
});
