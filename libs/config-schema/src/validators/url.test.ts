import { expect, test } from "bun:test";
import { validateUrl } from "./url.ts";

test("accepts URLs with an allowed scheme", () => {
  expect(validateUrl("https://10.0.0.10:6443", ["https"])).toBeUndefined();
  expect(validateUrl("udp://[fd00::1]:514", ["tcp", "udp"], { port: true })).toBeUndefined();
});

test("refuses other schemes, missing ports and non-URLs", () => {
  expect(validateUrl("http://x:1", ["https"])).toContain("must use the https:// scheme, not http://");
  expect(validateUrl("tcp://10.0.0.1", ["tcp"], { port: true })).toContain("must include a port");
  expect(validateUrl("10.0.0.1:6443", ["https"])).toBeDefined();
  expect(validateUrl("not a url", ["https"])).toContain("not a valid URL");
});
