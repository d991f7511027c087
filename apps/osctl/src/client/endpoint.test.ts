import { expect, test } from "bun:test";
import { isCliError } from "../cli-error.ts";
import { APID_PORT, endpointUrl, splitEndpoint } from "./endpoint.ts";

test("endpoints default to apid's port and may carry their own", () => {
  expect(splitEndpoint("10.0.0.10")).toEqual({ host: "10.0.0.10", port: APID_PORT });
  expect(splitEndpoint("node-1:50443")).toEqual({ host: "node-1", port: 50443 });
  expect(splitEndpoint("https://node-1:7/")).toEqual({ host: "node-1", port: 7 });
  expect(splitEndpoint("fd00::1")).toEqual({ host: "fd00::1", port: APID_PORT });
  expect(splitEndpoint("[fd00::1]:9000")).toEqual({ host: "fd00::1", port: 9000 });
  expect(endpointUrl("10.0.0.10")).toBe("https://10.0.0.10:50000");
  expect(endpointUrl("fd00::1")).toBe("https://[fd00::1]:50000");
});

test("a bad port or an empty host is a usage error naming the endpoint", () => {
  for (const [endpoint, message] of [
    ["node:99999", 'endpoint "node:99999": "99999" is not a port'],
    ["node:http", 'endpoint "node:http": "http" is not a port'],
    [":50000", 'endpoint ":50000": no host'],
  ] as const) {
    let caught: unknown;
    try {
      splitEndpoint(endpoint);
    } catch (error) {
      caught = error;
    }
    expect(isCliError(caught) && caught.exitCode === 2 && caught.message).toBe(message);
  }
});
