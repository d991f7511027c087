import { expect, test } from "bun:test";
import { parseListenAddress } from "./listen-address.ts";

test("host:port and [v6]:port", () => {
  expect(parseListenAddress("0.0.0.0:50000", "--listen", 50000)).toEqual({ host: "0.0.0.0", port: 50000 });
  expect(parseListenAddress("[::]:50001", "--listen", 50001)).toEqual({ host: "::", port: 50001 });
  expect(parseListenAddress("localhost:0", "--listen", 50000)).toEqual({ host: "localhost", port: 0 });
});

test("bad values: a message naming the flag and an example", () => {
  for (const bad of ["50000", "0.0.0.0", "0.0.0.0:99999", "[1.2.3.4]:1", "a:b", ":::1"]) {
    const result = parseListenAddress(bad, "--listen", 50001);
    expect(typeof result).toBe("string");
    expect(result as string).toStartWith(`--listen: ${JSON.stringify(bad)}`);
  }
  expect(parseListenAddress("x", "--listen", 50001)).toBe(
    '--listen: "x" is not host:port (e.g. 0.0.0.0:50001)',
  );
});
