import { expect, test } from "bun:test";
import { allowedSansFor, normalizePeerAddress } from "./certificate-service.ts";

test("the caller's address, IPv4-mapped or not, plus the extra names", () => {
  expect(normalizePeerAddress("::ffff:10.0.0.2")).toBe("10.0.0.2");
  expect(normalizePeerAddress("fd00::2")).toBe("fd00::2");
  expect(allowedSansFor("::ffff:10.0.0.2", ["cluster.example"])).toEqual([
    "10.0.0.2",
    "127.0.0.1",
    "::1",
    "localhost",
    "cluster.example",
  ]);
  expect(allowedSansFor(undefined)).toEqual(["127.0.0.1", "::1", "localhost"]);
});
