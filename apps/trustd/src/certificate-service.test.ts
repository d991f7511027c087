import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { allowedSansFor, requireToken } from "./certificate-service.ts";

test("the caller's address, IPv4-mapped or not, plus the loopback and extra names", () => {
  expect(allowedSansFor("::ffff:10.0.0.2", ["cluster.example"])).toEqual([
    "10.0.0.2",
    "127.0.0.1",
    "::1",
    "localhost",
    "cluster.example",
  ]);
  expect(allowedSansFor(undefined)).toEqual(["127.0.0.1", "::1", "localhost"]);
});

test("the token: missing, wrong and right", () => {
  const header = (value?: string) => new Headers(value === undefined ? {} : { "x-bronze-token": value });
  const codeOf = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      return [ConnectError.from(error).code, ConnectError.from(error).rawMessage];
    }
    return "accepted";
  };
  expect(codeOf(() => requireToken(header(), "t0ken"))).toEqual([
    Code.Unauthenticated,
    "missing x-bronze-token header (the machine token)",
  ]);
  expect(codeOf(() => requireToken(header("nope"), "t0ken"))).toEqual([
    Code.Unauthenticated,
    "the machine token is not valid",
  ]);
  expect(codeOf(() => requireToken(header("t0ken"), "t0ken"))).toBe("accepted");
});
