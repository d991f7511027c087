import { expect, test } from "bun:test";
import http2 from "node:http2";
import { createServer } from "node:net";
import { generateCA, issueCertificate } from "@bronze/pki";
import { requestWorkerCertificate, sourceAddress, TRUSTD_PORT, trustdEndpoint } from "./trustd-client.ts";

test("trustd's endpoint is the control-plane endpoint's host on trustd's port", () => {
  expect(trustdEndpoint("https://10.0.0.10:6443")).toEqual({ host: "10.0.0.10", port: TRUSTD_PORT });
  expect(trustdEndpoint("https://cp.bronze.example:6443", 52001)).toEqual({
    host: "cp.bronze.example",
    port: 52001,
  });
  expect(trustdEndpoint("https://[fd00::10]:6443")).toEqual({ host: "fd00::10", port: TRUSTD_PORT });
  expect(() => trustdEndpoint("not a url")).toThrow('cluster.controlPlane.endpoint "not a url" is not a URL');
});

test("the source address is the local end of a connection to trustd; a closed port says so", async () => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  expect(await sourceAddress({ host: "127.0.0.1", port })).toBe("127.0.0.1");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await expect(sourceAddress({ host: "127.0.0.1", port })).rejects.toThrow(
    `trustd at 127.0.0.1:${port}: ECONNREFUSED`,
  );
});

test("trustd's certificate must name the endpoint's host in a SAN: a CN naming it is not enough", async () => {
  const ca = await generateCA({ commonName: "bronze os" });
  // What trustd used to sign for any token holder: the CN it was asked for, no DNS SAN.
  const impostor = await issueCertificate({
    ca,
    commonName: "localhost",
    usage: "server",
    ipAddresses: ["10.9.9.9"],
  });
  const server = http2.createSecureServer({ cert: impostor.crt, key: impostor.key }, (_req, res) =>
    res.end(),
  );
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const request = requestWorkerCertificate({
      endpoint: { host: "localhost", port },
      ca: ca.crt,
      token: "abcdef.0123456789abcdef",
      hostname: "worker-1",
      timeoutMs: 5000,
    });
    await expect(request).rejects.toThrow("the server certificate does not name localhost");
  } finally {
    server.close();
  }
});
