import { expect, test } from "bun:test";
import { parseListenAddress } from "./listen-address.ts";
import { TrustdError } from "./trustd-error.ts";

test("host:port and [v6]:port", () => {
  expect(parseListenAddress("0.0.0.0:50001", "--listen")).toEqual({ host: "0.0.0.0", port: 50001 });
  expect(parseListenAddress("[::]:50001", "--listen")).toEqual({ host: "::", port: 50001 });
});

test("bad values name the flag", () => {
  for (const bad of ["50001", "0.0.0.0:99999", "[1.2.3.4]:1", "a:b"]) {
    const error = (() => {
      try {
        parseListenAddress(bad, "--listen");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TrustdError);
    expect((error as TrustdError).message).toStartWith(`--listen: ${JSON.stringify(bad)}`);
  }
});
