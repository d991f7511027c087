// trustd over real TLS: a joining node's CSR with the token in, a serverAuth certificate and the CA out.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import {
  createCSR,
  generateKeyPair,
  inspectCertificate,
  issueCertificate,
  verifyCertificate,
} from "@bronze/pki";
import { eventually, waitFor } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { startTrustdFixture, TOKEN, type TrustdFixture } from "../test/trustd-fixture.ts";

let f: TrustdFixture;

beforeAll(async () => {
  f = await startTrustdFixture({ extraSans: ["cluster.example"], pollMs: 100 });
});

afterAll(async () => {
  await f?.close();
});

async function csr(options: { organizations?: string[]; ipAddresses?: string[]; dnsNames?: string[] } = {}) {
  const { privateKeyPem } = await generateKeyPair();
  const pem = await createCSR({
    privateKeyPem,
    commonName: "worker-1",
    ipAddresses: ["127.0.0.1"],
    ...options,
  });
  return new TextEncoder().encode(pem);
}

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
}

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

test("a CSR with the token gets a serverAuth-only certificate from the OS CA, and the CA", async () => {
  const res = await f.client().certificate({ csr: await csr() }, { headers: { "x-bronze-token": TOKEN } });
  expect(decode(res.ca)).toBe(f.ca.crt);
  const crt = decode(res.crt);
  await verifyCertificate(crt, f.ca.crt);
  const info = inspectCertificate(crt);
  // The request's CN (worker-1) is ignored: the certificate is the caller's address's.
  expect(info.commonName).toBe("127.0.0.1");
  expect(info.extendedKeyUsages).toEqual(["serverAuth"]);
  expect(info.ipAddresses).toEqual(["127.0.0.1"]);
  expect(info.isCA).toBe(false);
});

test("an Organization in the CSR (a role) is stripped", async () => {
  const res = await f
    .client()
    .certificate(
      { csr: await csr({ organizations: ["os:admin"] }) },
      { headers: { "x-bronze-token": TOKEN } },
    );
  const info = inspectCertificate(decode(res.crt));
  expect(info.organizations).toEqual([]);
  expect(info.extendedKeyUsages).not.toContain("clientAuth");
});

test("names: the caller's own address and the extra names only", async () => {
  const ok = await f
    .client()
    .certificate(
      { csr: await csr({ dnsNames: ["cluster.example"] }) },
      { headers: { "x-bronze-token": TOKEN } },
    );
  expect(inspectCertificate(decode(ok.crt)).dnsNames).toEqual(["cluster.example"]);
  expect(inspectCertificate(decode(ok.crt)).ipAddresses).toEqual(["127.0.0.1"]);
  const other = await failure(
    f
      .client()
      .certificate(
        { csr: await csr({ ipAddresses: ["127.0.0.1", "10.0.0.10"] }) },
        { headers: { "x-bronze-token": TOKEN } },
      ),
  );
  expect(other.code).toBe(Code.PermissionDenied);
  expect(other.rawMessage).toContain('"10.0.0.10" not in the allowed list');
  const name = await failure(
    f
      .client()
      .certificate({ csr: await csr({ dnsNames: ["cp-1"] }) }, { headers: { "x-bronze-token": TOKEN } }),
  );
  expect(name.code).toBe(Code.PermissionDenied);
});

test("no token, a wrong token: Unauthenticated; a bad CSR: InvalidArgument", async () => {
  const body = { csr: await csr() };
  const none = await failure(f.client().certificate(body));
  expect(none.code).toBe(Code.Unauthenticated);
  expect(none.rawMessage).toContain("missing x-bronze-token header");
  const wrong = await failure(f.client().certificate(body, { headers: { "x-bronze-token": `${TOKEN}x` } }));
  expect(wrong.code).toBe(Code.Unauthenticated);
  expect(wrong.rawMessage).toBe("the machine token is not valid");
  const bad = await failure(
    f
      .client()
      .certificate({ csr: new TextEncoder().encode("not a csr") }, { headers: { "x-bronze-token": TOKEN } }),
  );
  expect(bad.code).toBe(Code.InvalidArgument);
  expect(bad.rawMessage).toContain("csrPem");
  const empty = await failure(f.client().certificate({}, { headers: { "x-bronze-token": TOKEN } }));
  expect(empty.rawMessage).toBe("csr: empty");
});

test("a new token file is picked up without a restart", async () => {
  const next = "ghijkl.0123456789abcdef";
  writeFileSync(join(f.dir, "token"), next);
  const body = { csr: await csr() };
  await waitFor(() => f.client().certificate(body, { headers: { "x-bronze-token": next } }), {
    what: "the new token accepted",
    timeoutMs: 5000,
    intervalMs: 50,
  });
  const old = await failure(f.client().certificate(body, { headers: { "x-bronze-token": TOKEN } }));
  expect(old.code).toBe(Code.Unauthenticated);
  writeFileSync(join(f.dir, "token"), TOKEN);
});

function servedCommonName(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      {
        host: "127.0.0.1",
        port: f.trustd.port,
        ca: f.ca.crt,
        checkServerIdentity: () => undefined,
        ALPNProtocols: ["h2"],
      },
      () => {
        resolve(String(socket.getPeerCertificate().subject.CN));
        socket.destroy();
      },
    );
    socket.on("error", reject);
  });
}

test("a renewed server certificate is served without a restart", async () => {
  expect(await servedCommonName()).toBe("cp-1");
  const renewed = await issueCertificate({
    ca: f.ca,
    commonName: "cp-1-renewed",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  writeFileSync(join(f.dir, "server.key"), renewed.key);
  writeFileSync(join(f.dir, "server.crt"), renewed.crt);
  await eventually(
    "the renewed certificate served",
    async () => (await servedCommonName()) === "cp-1-renewed",
    5000,
    50,
  );
});
