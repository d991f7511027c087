// Proof that the certificates work for real mutual TLS in Bun: servers with a server certificate from the OS CA
// that require client certificates (node:tls, and node:http2 as apid uses), and clients with certificates from
// that CA or from another one. (Bun 1.4's node:https server does not expose getPeerCertificate(); node:tls and
// node:http2 do.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createSecureServer, type Http2SecureServer, connect as h2connect } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer, type Server, type TLSSocket } from "node:tls";
import {
  type CertificateAndKey,
  generateCA,
  issueCertificate,
  issueClientCertificate,
  type KeyAlgorithm,
} from "../src/index.ts";

interface ClientCredentials {
  ca: string;
  cert?: string;
  key?: string;
}

interface Outcome {
  /** What the server sent back: the verified peer's subject, as JSON. */
  data: string;
  error?: Error;
}

function peerSubject(socket: TLSSocket): string {
  const subject = socket.getPeerCertificate().subject;
  return JSON.stringify({ O: subject?.O, CN: subject?.CN });
}

/** node:tls client: resolves with what the server sent and any error (rejections surface as errors). */
function tlsExchange(port: number, credentials: ClientCredentials): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = "";
    const socket = connect({ host: "127.0.0.1", port, ...credentials });
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      data += chunk;
    });
    socket.on("end", () => resolve({ data }));
    socket.on("error", (error) => resolve({ data, error }));
    socket.setTimeout(10_000, () => socket.destroy(new Error("timed out")));
  });
}

/** node:http2 client: one GET. */
function h2Exchange(port: number, credentials: ClientCredentials): Promise<Outcome> {
  return new Promise((resolve) => {
    const session = h2connect(`https://127.0.0.1:${port}`, credentials);
    const done = (outcome: Outcome) => {
      session.close();
      resolve(outcome);
    };
    session.on("error", (error) => done({ data: "", error }));
    const stream = session.request({ ":path": "/" });
    let data = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      data += chunk;
    });
    stream.on("end", () => done({ data }));
    stream.on("error", (error) => done({ data, error }));
    stream.end();
  });
}

/** curl (OpenSSL) over HTTP/2 with a client certificate, as DESIGN §4 promises users can do. */
async function curl(
  port: number,
  credentials: Required<ClientCredentials>,
): Promise<{ code: number; body: string }> {
  const dir = await mkdtemp(join(tmpdir(), "bronze-curl-"));
  try {
    await Promise.all([
      writeFile(join(dir, "ca.pem"), credentials.ca),
      writeFile(join(dir, "crt.pem"), credentials.cert),
      writeFile(join(dir, "key.pem"), credentials.key),
    ]);
    const child = Bun.spawn(
      [
        "curl",
        "-sS",
        "--http2",
        "--cacert",
        "ca.pem",
        "--cert",
        "crt.pem",
        "--key",
        "key.pem",
        `https://127.0.0.1:${port}/`,
      ],
      { cwd: dir, stdout: "pipe", stderr: "pipe" },
    );
    const [body, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    return { code, body };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function listen(server: Server | Http2SecureServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const ADMIN = JSON.stringify({ O: "os:admin", CN: "admin" });

for (const algorithm of ["ecdsa-p256", "ed25519"] as KeyAlgorithm[]) {
  describe(`mTLS with ${algorithm} certificates`, () => {
    let osCa: CertificateAndKey;
    let otherCa: CertificateAndKey;
    let admin: CertificateAndKey;
    let intruder: CertificateAndKey;
    let tlsServer: Server;
    let h2Server: Http2SecureServer;
    let tlsPort: number;
    let h2Port: number;
    let accepted = 0;
    const serverErrors: string[] = [];

    beforeAll(async () => {
      [osCa, otherCa] = await Promise.all([
        generateCA({ commonName: "bronze", algorithm }),
        generateCA({ commonName: "bronze", algorithm }), // same name, another key: another cluster's CA
      ]);
      const [serverCert, adminCert, intruderCert] = await Promise.all([
        issueCertificate({
          ca: osCa,
          commonName: "node-1",
          usage: "server",
          ipAddresses: ["127.0.0.1"],
          dnsNames: ["localhost"],
          algorithm,
        }),
        issueClientCertificate(osCa, { role: "os:admin" }),
        issueClientCertificate(otherCa, { role: "os:admin" }),
      ]);
      admin = adminCert;
      intruder = intruderCert;
      const options = {
        key: serverCert.key,
        cert: serverCert.crt,
        ca: osCa.crt,
        requestCert: true,
        rejectUnauthorized: true,
      };
      tlsServer = createServer(options, (socket) => {
        accepted++;
        socket.end(peerSubject(socket));
      });
      h2Server = createSecureServer(options, (req, res) => {
        accepted++;
        res.end(peerSubject(req.socket as unknown as TLSSocket));
      });
      for (const server of [tlsServer, h2Server]) {
        server.on("tlsClientError", (error: Error) => serverErrors.push(error.message));
      }
      [tlsPort, h2Port] = await Promise.all([listen(tlsServer), listen(h2Server)]);
    });

    afterAll(() => {
      tlsServer?.close();
      h2Server?.close();
    });

    test("node:tls: a client certificate from the OS CA is accepted; the server sees O=os:admin", async () => {
      const outcome = await tlsExchange(tlsPort, { ca: osCa.crt, cert: admin.crt, key: admin.key });
      expect(outcome.error).toBeUndefined();
      expect(outcome.data).toBe(ADMIN);
    });

    test("node:http2 (as apid): a client certificate from the OS CA is accepted; the server sees O=os:admin", async () => {
      const outcome = await h2Exchange(h2Port, { ca: osCa.crt, cert: admin.crt, key: admin.key });
      expect(outcome.error).toBeUndefined();
      expect(outcome.data).toBe(ADMIN);
    });

    test("curl (OpenSSL) with the admin certificate is accepted over HTTP/2; with the intruder's it is not", async () => {
      const ok = await curl(h2Port, { ca: osCa.crt, cert: admin.crt, key: admin.key });
      expect(ok).toEqual({ code: 0, body: ADMIN });
      const refused = await curl(h2Port, { ca: osCa.crt, cert: intruder.crt, key: intruder.key });
      expect(refused.code).not.toBe(0);
      expect(refused.body).toBe("");
    });

    test("a client certificate from another CA, or none, is rejected by both servers", async () => {
      const before = accepted;
      serverErrors.length = 0;
      const outcomes = await Promise.all([
        tlsExchange(tlsPort, { ca: osCa.crt, cert: intruder.crt, key: intruder.key }),
        tlsExchange(tlsPort, { ca: osCa.crt }),
        h2Exchange(h2Port, { ca: osCa.crt, cert: intruder.crt, key: intruder.key }),
        h2Exchange(h2Port, { ca: osCa.crt }),
      ]);
      // Under TLS 1.3 the client may only see the connection close; the servers say why they refused.
      expect(outcomes.map((outcome) => outcome.data)).toEqual(["", "", "", ""]);
      expect(accepted).toBe(before);
      expect(serverErrors.sort()).toEqual([
        "error:100000c0:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE",
        "error:100000c0:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE",
        "unable to verify the first certificate",
        "unable to verify the first certificate",
      ]);
    });

    test("a client that trusts another CA refuses the server", async () => {
      const outcome = await tlsExchange(tlsPort, { ca: otherCa.crt, cert: admin.crt, key: admin.key });
      expect(outcome.data).toBe("");
      expect(outcome.error?.message).toMatch(/signature|certificate|verify/i);
    });
  });
}
