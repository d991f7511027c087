import { expect, test } from "bun:test";
import { ApidError } from "./apid-error.ts";
import { parseListenAddress } from "./listen-address.ts";

test("host:port and [v6]:port", () => {
  expect(parseListenAddress("0.0.0.0:50000", "--listen")).toEqual({ host: "0.0.0.0", port: 50000 });
  expect(parseListenAddress("[::]:50001", "--listen")).toEqual({ host: "::", port: 50001 });
  expect(parseListenAddress("localhost:0", "--listen")).toEqual({ host: "localhost", port: 0 });
});

test("bad values name the flag", () => {
  for (const bad of ["50000", "0.0.0.0", "0.0.0.0:99999", "[1.2.3.4]:1", "a:b", ":::1"]) {
    const error = (() => {
      try {
        parseListenAddress(bad, "--listen");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ApidError);
    expect((error as ApidError).message).toStartWith(`--listen: ${JSON.stringify(bad)}`);
  }
});
