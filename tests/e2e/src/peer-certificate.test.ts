import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer, type Server } from "node:tls";
import { generateCA, inspectCertificate, issueCertificate, verifyCertificate } from "@bronze/pki";
import { freePort } from "@bronze/testing";
import { PeerCertificateError, peerCertificate } from "./peer-certificate.ts";

let server: Server;
let port: number;
let ca: { crt: string; key: string };
let serverCrt: string;

beforeAll(async () => {
  ca = await generateCA({ commonName: "test-ca" });
  const issued = await issueCertificate({
    ca,
    commonName: "node-a",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  serverCrt = issued.crt;
  server = createServer({ cert: issued.crt, key: issued.key, ALPNProtocols: ["h2"] }, (socket) =>
    socket.end(),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  port = typeof address === "object" && address !== null ? address.port : 0;
});

afterAll(() => {
  server?.close();
});

test("returns the certificate the server presented, as PEM", async () => {
  const pem = await peerCertificate({ host: "127.0.0.1", port });
  expect(pem).toStartWith("-----BEGIN CERTIFICATE-----\n");
  const info = inspectCertificate(pem);
  expect(info.serialNumber).toBe(inspectCertificate(serverCrt).serialNumber);
  expect(info.commonName).toBe("node-a");
  expect(info.extendedKeyUsages).toEqual(["serverAuth"]);
  await verifyCertificate(pem, ca.crt);
});

test("a port nothing listens on is a PeerCertificateError naming the address", async () => {
  const closed = await freePort();
  const attempt = peerCertificate({ host: "127.0.0.1", port: closed, timeoutMs: 5000 });
  await expect(attempt).rejects.toBeInstanceOf(PeerCertificateError);
  await expect(attempt).rejects.toThrow(`127.0.0.1:${closed}`);
});
