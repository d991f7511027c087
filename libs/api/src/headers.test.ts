import { expect, test } from "bun:test";
import * as api from "./index.ts";

test("the header names are the wire names apid, trustd, machined and osctl agree on", () => {
  expect(api.ROLE_HEADER).toBe("x-bronze-role");
  expect(api.NODE_HEADER).toBe("x-bronze-node");
  expect(api.FORWARDED_HEADER).toBe("x-bronze-forwarded");
  expect(api.TOKEN_HEADER).toBe("x-bronze-token");
});

test("header names are lower case (HTTP/2 requires it) and distinct", () => {
  const names = [api.ROLE_HEADER, api.NODE_HEADER, api.FORWARDED_HEADER, api.TOKEN_HEADER];
  for (const name of names) expect(name).toBe(name.toLowerCase());
  expect(new Set(names).size).toBe(names.length);
});
