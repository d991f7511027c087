import { expect, test } from "bun:test";
import { createServer } from "node:net";
import { startFakeApid } from "../testing/fake-apid-fixture.ts";
import { freePorts } from "./free-ports.ts";
import { tlsAnswers } from "./tls-probe.ts";

test("true for a TLS server, false for plain TCP that closes and for a closed port", async () => {
  const server = await startFakeApid({});
  try {
    const [, port] = server.endpoint.split(":");
    expect(await tlsAnswers("127.0.0.1", Number(port))).toBe(true);
  } finally {
    await server.close();
  }
  const plain = createServer((socket) => socket.end());
  await new Promise<void>((done) => plain.listen(0, "127.0.0.1", () => done()));
  const address = plain.address();
  try {
    expect(await tlsAnswers("127.0.0.1", typeof address === "object" && address ? address.port : 0)).toBe(
      false,
    );
  } finally {
    plain.close();
  }
  const [closed] = await freePorts(1);
  expect(await tlsAnswers("127.0.0.1", closed as number)).toBe(false);
});
