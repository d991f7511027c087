import { describe, expect, test } from "bun:test";
import { caBundle } from "./ca-bundle.ts";

const pem = (n: string) => `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----`;

describe("caBundle", () => {
  test("concatenates certificates in path order with newlines", () => {
    const bundle = caBundle(
      new Map([
        ["mozilla/B.crt", pem("bbb")],
        ["mozilla/A.crt", `${pem("aaa")}\n`],
      ]),
    );
    expect(bundle).toBe(`${pem("aaa")}\n${pem("bbb")}\n`);
  });

  test("errors on an empty set or a non-certificate", () => {
    expect(() => caBundle(new Map())).toThrow("no certificate found");
    expect(() => caBundle(new Map([["x.crt", "hello"]]))).toThrow("x.crt holds no PEM certificate");
  });
});
