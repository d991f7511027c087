// Real TLS servers, real certificates from @bronze/pki: a Bun HTTP/2 server configured as apid is
// (requestCert, rejectUnauthorized: it closes the connection without an alert), OpenSSL's s_server
// (which refuses with TLS alerts, as Go servers do), and plain TCP servers that refuse, reset or stay
// silent.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CertificateAndKey, generateCA, issueCertificate, issueClientCertificate } from "@bronze/pki";
import { eventually, freePort } from "@bronze/testing";
import type { Subprocess } from "bun";
import {
  alertOf,
  clientCertificateFault,
  describeDiagnosis,
  diagnoseTls,
  endpointDiagnoser,
  type TlsTarget,
} from "./tls-diagnosis.ts";

const dir = mkdtempSync(join(tmpdir(), "osctl-tls-diagnosis-"));
const closers: (() => void)[] = [];
let ca: CertificateAndKey;
let certs: Record<"admin" | "foreign" | "expired" | "serverOnly", CertificateAndKey>;
let apidPort = 0;
let wrongNamePort = 0;
let otherCaPort = 0;
let opensslPort = 0;
const EXPIRED_AT = "2026-01-02T00:00:00Z";

function listening(server: net.Server | http2.Http2SecureServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
}

/** A server with apid's TLS settings: client certificates signed by `ca` required, h2. */
async function apidLike(server: CertificateAndKey): Promise<number> {
  const srv = http2.createSecureServer(
    { cert: server.crt, key: server.key, ca: ca.crt, requestCert: true, rejectUnauthorized: true },
    (_req, res) => res.end("ok"),
  );
  srv.on("tlsClientError", () => {});
  srv.on("session", (s) => s.on("error", () => {}));
  closers.push(() => srv.close());
  return listening(srv);
}

async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    onConnection(socket);
  });
  closers.push(() => {
    for (const s of sockets) s.destroy();
    srv.close();
  });
  return listening(srv);
}

/** OpenSSL's s_server requiring a client certificate from `ca`, failing the handshake with an alert. */
async function opensslServer(): Promise<number> {
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const server = await issueCertificate({
    ca,
    commonName: "node",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  const port = await freePort();
  const proc: Subprocess = Bun.spawn(
    [
      "openssl",
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      file("s.crt", server.crt),
      "-key",
      file("s.key", server.key),
      "-CAfile",
      file("ca.crt", ca.crt),
      "-Verify",
      "2",
      "-verify_return_error",
      "-alpn",
      "h2",
      "-quiet",
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  closers.push(() => proc.kill());
  await eventually(
    "openssl s_server accepting",
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => {
          s.destroy();
          resolve(true);
        });
        s.on("error", () => resolve(false));
      }),
    10_000,
    100,
  );
  return port;
}

beforeAll(async () => {
  ca = await generateCA({ commonName: "os", organization: "os" });
  const other = await generateCA({ commonName: "other", organization: "other-cluster" });
  const [admin, foreign, expired, serverOnly, server, wrongName, otherServer] = await Promise.all([
    issueClientCertificate(ca, { role: "os:admin" }),
    issueClientCertificate(other, { role: "os:admin" }),
    issueClientCertificate(ca, { role: "os:admin", validityDays: 1, now: new Date("2026-01-01T00:00:00Z") }),
    issueCertificate({ ca, commonName: "admin", organizations: ["os:admin"], usage: "server" }),
    issueCertificate({ ca, commonName: "node", usage: "server", ipAddresses: ["127.0.0.1"] }),
    issueCertificate({
      ca,
      commonName: "node",
      usage: "server",
      dnsNames: ["node.example"],
      ipAddresses: ["10.5.0.2"],
    }),
    issueCertificate({ ca: other, commonName: "node", usage: "server", ipAddresses: ["127.0.0.1"] }),
  ]);
  certs = { admin, foreign, expired, serverOnly };
  [apidPort, wrongNamePort, otherCaPort, opensslPort] = await Promise.all([
    apidLike(server),
    apidLike(wrongName),
    apidLike(otherServer),
    opensslServer(),
  ]);
}, 30_000);

afterAll(() => {
  for (const close of closers) close();
  rmSync(dir, { recursive: true, force: true });
});

const target = (port: number, client?: keyof typeof certs): TlsTarget => ({
  host: "127.0.0.1",
  port,
  ca: ca.crt,
  cert: client && certs[client].crt,
  key: client && certs[client].key,
});

async function line(t: TlsTarget, timeoutMs?: number): Promise<string | undefined> {
  return describeDiagnosis(await diagnoseTls(t, { timeoutMs }), `127.0.0.1:${t.port}`);
}

test("apid accepting the client certificate: nothing to report", async () => {
  expect(await diagnoseTls(target(apidPort, "admin"))).toEqual({ ok: true });
});

test("apid (Bun) refusing a client certificate: closed after the handshake, the local check says why", async () => {
  const ep = `127.0.0.1:${apidPort}`;
  const refused = `TLS handshake with ${ep} failed: apid closed the connection right after the handshake: it rejected the client certificate`;
  expect(await line(target(apidPort, "expired"))).toBe(
    `${refused}: the client certificate expired at ${EXPIRED_AT}`,
  );
  expect(await line(target(apidPort, "foreign"))).toBe(
    `${refused}: the client certificate is not signed by the context's CA (its issuer is O=other-cluster, CN=other)`,
  );
  expect(await line(target(apidPort, "serverOnly"))).toBe(
    `${refused}: the client certificate lacks the clientAuth usage (is it a server certificate?)`,
  );
  expect(await diagnoseTls(target(apidPort, "expired"))).toMatchObject({
    ok: false,
    stage: "handshake",
    code: "CLOSED_AFTER_HANDSHAKE",
  });
});

test("apid (Bun) without a client certificate sends certificate_required", async () => {
  expect(await line(target(apidPort))).toBe(
    `TLS handshake with 127.0.0.1:${apidPort} failed: apid requires a client certificate and the context has none`,
  );
});

test("a server refusing with TLS alerts: the alert, and the local finding", async () => {
  const ep = `127.0.0.1:${opensslPort}`;
  expect(await line(target(opensslPort, "expired"))).toBe(
    `TLS handshake with ${ep} failed: apid rejected the client certificate (certificate_expired: expired or not yet valid): the client certificate expired at ${EXPIRED_AT}`,
  );
  expect(await line(target(opensslPort, "foreign"))).toBe(
    `TLS handshake with ${ep} failed: apid rejected the client certificate (unknown_ca: not signed by a CA it trusts): the client certificate is not signed by the context's CA (its issuer is O=other-cluster, CN=other)`,
  );
  expect(await line(target(opensslPort, "serverOnly"))).toBe(
    `TLS handshake with ${ep} failed: apid rejected the client certificate (unsupported_certificate: not usable for client authentication): the client certificate lacks the clientAuth usage (is it a server certificate?)`,
  );
  expect(await diagnoseTls(target(opensslPort, "foreign"))).toMatchObject({ code: "unknown_ca" });
});

test("the server's certificate: another CA's, or not naming the address", async () => {
  expect(await line(target(otherCaPort, "admin"))).toBe(
    `TLS handshake with 127.0.0.1:${otherCaPort} failed: the server's certificate is not signed by the context's CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
  );
  expect(await line(target(wrongNamePort, "admin"))).toBe(
    `TLS handshake with 127.0.0.1:${wrongNamePort} failed: the server's certificate does not name 127.0.0.1 (it names DNS:node.example, IP Address:10.5.0.2)`,
  );
});

test("nothing listening, a reset, a port that never answers the handshake", async () => {
  const closed = await freePort();
  expect(await line(target(closed, "admin"))).toBe(
    `cannot connect to 127.0.0.1:${closed}: connection refused (is apid running there?)`,
  );
  const reset = await tcpServer((s) => s.resetAndDestroy());
  expect(await line(target(reset, "admin"))).toBe(
    `TLS handshake with 127.0.0.1:${reset} failed: the connection was closed during the handshake (is that apid's port?)`,
  );
  const silent = await tcpServer(() => {});
  expect(await line(target(silent, "admin"), 300)).toBe(
    `TLS handshake with 127.0.0.1:${silent} failed: the port accepted the connection but no TLS handshake completed within 300ms (is apid running there?)`,
  );
});

test("concurrent failures share one diagnostic handshake; a later one gets a fresh one", async () => {
  let connections = 0;
  const port = await tcpServer((s) => {
    connections++;
    s.destroy();
  });
  const diagnose = endpointDiagnoser("ep", target(port, "admin"));
  const [a, b, c] = await Promise.all([diagnose(), diagnose(), diagnose()]);
  expect(a).toBe(
    "TLS handshake with ep failed: the connection was closed during the handshake (is that apid's port?)",
  );
  expect([b, c, connections]).toEqual([a, a, 1]);
  await diagnose();
  expect(connections).toBe(2);
});

test("alert names from Bun's and OpenSSL's error codes and messages", () => {
  expect(alertOf({ code: "ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED" })).toBe("certificate_expired");
  expect(alertOf({ code: "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA" })).toBe("unknown_ca");
  expect(alertOf({ message: "ssl3_read_bytes:tlsv1 alert certificate required" })).toBe(
    "certificate_required",
  );
  expect(alertOf({ code: "ECONNRESET", message: "socket hang up" })).toBeUndefined();
});

test("the local check of a client certificate: dates, issuer, usage", () => {
  expect(clientCertificateFault(certs.admin.crt, ca.crt)).toBeUndefined();
  expect(clientCertificateFault(certs.expired.crt, ca.crt, new Date("2026-01-01T12:00:00Z"))).toBeUndefined();
  expect(clientCertificateFault(certs.expired.crt, ca.crt, new Date("2025-12-31T00:00:00Z"))).toBe(
    "the client certificate is not valid before 2025-12-31T23:59:00Z",
  );
  expect(clientCertificateFault("not a certificate", ca.crt)).toBe("the client certificate cannot be read");
  // A CA bundle: any of its certificates may be the issuer.
  expect(clientCertificateFault(certs.foreign.crt, `${certs.admin.crt}${ca.crt}`)).toContain("not signed");
});
