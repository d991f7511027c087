import { afterAll, beforeAll, expect, test } from "bun:test";
import { isCliError } from "../cli-error.ts";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { connectPinned, normalizeFingerprint } from "./pinned-tls.ts";

let server: FakeApid;
beforeAll(async () => {
  server = await startFakeApid({}, { requireClientCert: false });
});
afterAll(() => server.close());

test("fingerprints are accepted with or without colons, any case, sha256: prefix", () => {
  const hex = "AB".repeat(32);
  expect(normalizeFingerprint(`${"ab:".repeat(31)}ab`)).toBe(hex);
  expect(normalizeFingerprint(`sha256:${hex.toLowerCase()}`)).toBe(hex);
  let caught: unknown;
  try {
    normalizeFingerprint("abcd");
  } catch (error) {
    caught = error;
  }
  expect(isCliError(caught) && caught.exitCode === 2 && caught.message).toContain(
    "is not a SHA-256 fingerprint",
  );
});

test("the matching fingerprint gives a connected h2 TLS socket", async () => {
  const socket = await connectPinned(server.endpoint, server.serverFingerprint, 5000);
  expect(socket.alpnProtocol).toBe("h2");
  socket.destroy();
});

test("another fingerprint: refused, and the server saw no call", async () => {
  const calls = server.calls.length;
  let caught: unknown;
  try {
    await connectPinned(server.endpoint, "00".repeat(32), 5000);
  } catch (error) {
    caught = error;
  }
  expect(isCliError(caught) && caught.message).toContain("does not match --cert-fingerprint 0000");
  expect(server.calls.length).toBe(calls);
});

test("a refused connection is named", async () => {
  let caught: unknown;
  try {
    await connectPinned("127.0.0.1:1", "00".repeat(32), 5000);
  } catch (error) {
    caught = error;
  }
  expect(isCliError(caught) && caught.message).toBe(
    "cannot connect to 127.0.0.1:1: connection refused (is apid running there?)",
  );
});
