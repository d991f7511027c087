// apid's upstreams against real listeners on 127.0.0.1: apids of the cluster (TLS, the OS CA), a
// closed port, something that is not TLS, another CA's server, and a certificate that names the host
// only in its CN.
import { afterAll, beforeAll, expect, test } from "bun:test";
import http2 from "node:http2";
import { createServer, type Server } from "node:net";
import { generateCA, issueCertificate, issueClientCertificate } from "@bronze/pki";
import { freePort } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { type UpstreamLease, Upstreams } from "./upstreams.ts";

const servers: { close(): void }[] = [];
let identity: { ca: string; impersonator: { crt: string; key: string } };
let good: number[] = [];
let cnOnlyPort = 0;
let otherCaPort = 0;
let notTlsPort = 0;
let closedPort = 0;

async function tlsServer(cert: { crt: string; key: string }, ca: string): Promise<number> {
  const server = http2.createSecureServer(
    { cert: cert.crt, key: cert.key, ca, requestCert: true, rejectUnauthorized: true },
    (_req, res) => res.end(),
  );
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({ close: () => server.close() });
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  const ca = await generateCA({ commonName: "bronze os" });
  const otherCa = await generateCA({ commonName: "bronze os" });
  const impersonator = await issueClientCertificate(ca, { role: "os:impersonator" });
  identity = { ca: ca.crt, impersonator };
  const node = await issueCertificate({
    ca,
    commonName: "node",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  good = await Promise.all([1, 2, 3].map(() => tlsServer(node, ca.crt)));
  // The CN names the host the call goes to ("localhost"), no SAN does: refused, never matched by CN.
  const cnOnly = await issueCertificate({
    ca,
    commonName: "localhost",
    usage: "server",
    ipAddresses: ["10.9.9.9"],
  });
  cnOnlyPort = await tlsServer(cnOnly, ca.crt);
  const foreign = await issueCertificate({
    ca: otherCa,
    commonName: "x",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  otherCaPort = await tlsServer(foreign, otherCa.crt);
  const plain: Server = createServer((socket) => socket.end("SSH-2.0-OpenSSH_9.2\r\n"));
  await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
  servers.push(plain);
  notTlsPort = (plain.address() as { port: number }).port;
  closedPort = await freePort();
});

afterAll(() => {
  for (const server of servers) server.close();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => Promise.reject(new Error("expected a failure")),
    (e) => ConnectError.from(e),
  );

test("a worker (no impersonator certificate) cannot forward; machined not answering says so", async () => {
  const worker = new Upstreams({ machinedSocket: "/nonexistent.sock", identity: undefined });
  try {
    expect(worker.canForward).toBe(false);
    const e = await failure(
      worker.open({ kind: "node", node: { host: "127.0.0.1", port: good[0] as number } }),
    );
    expect(e.code).toBe(Code.FailedPrecondition);
    const m = await failure(worker.open({ kind: "machined" }));
    expect(m.code).toBe(Code.Unavailable);
    expect(m.rawMessage).toStartWith("machined is not answering on its socket");
  } finally {
    worker.close();
  }
});

test("every failure to reach a node looks the same to the caller; the log says what it was", async () => {
  const lines: string[] = [];
  const cp = new Upstreams({ machinedSocket: "/nonexistent.sock", identity, log: (l) => lines.push(l) });
  try {
    const lease = await cp.open({ kind: "node", node: { host: "127.0.0.1", port: good[0] as number } });
    lease.release();
    const cases: [string, string, number][] = [
      ["closed port", "127.0.0.1", closedPort],
      ["not TLS", "127.0.0.1", notTlsPort],
      ["another CA", "127.0.0.1", otherCaPort],
      ["CN only", "localhost", cnOnlyPort],
    ];
    const messages = new Set<string>();
    for (const [, host, port] of cases) {
      const e = await failure(cp.open({ kind: "node", node: { host, port } }));
      expect(e.code).toBe(Code.Unavailable);
      messages.add(e.rawMessage.replace(String(port), "PORT").replace(host, "HOST"));
    }
    expect([...messages]).toEqual([
      "cannot reach node HOST:PORT: no apid of this cluster answered there (apid's log has the details)",
    ]);
    expect(lines.length).toBe(4);
    expect(lines[0]).toContain(`cannot forward to 127.0.0.1:${closedPort}: connect ECONNREFUSED`);
    expect(lines[3]).toContain(`cannot forward to localhost:${cnOnlyPort}`);
    expect(lines[3]).toContain("does not name localhost");
  } finally {
    cp.close();
  }
});

test("node sessions are a bounded LRU: an idle one makes room, a busy one never does", async () => {
  let now = 0;
  const cp = new Upstreams({
    machinedSocket: "/x.sock",
    identity,
    maxNodes: 2,
    nodeIdleMs: 1000,
    now: () => now,
  });
  const to = (port: number) => ({ kind: "node" as const, node: { host: "127.0.0.1", port } });
  try {
    const [a, b, c] = good as [number, number, number];
    const busy: UpstreamLease = await cp.open(to(a));
    (await cp.open(to(b))).release();
    expect(cp.nodeCount).toBe(2);
    // A third node: b (idle) makes room; a (a call in progress) stays.
    const third = await cp.open(to(c));
    expect(cp.nodeCount).toBe(2);
    // Both busy now: a fourth node is refused, not added.
    const full = await failure(cp.open(to(closedPort)));
    expect(full.code).toBe(Code.ResourceExhausted);
    expect(full.rawMessage).toContain("calls to 2 other nodes are in progress");
    expect(cp.nodeCount).toBe(2);
    // Unreachable nodes are not kept busy: their sessions go like any idle one.
    third.release();
    await failure(cp.open(to(closedPort)));
    expect(cp.nodeCount).toBe(2);
    // Idle eviction: unused for nodeIdleMs.
    busy.release();
    now += 1500;
    cp.closeIdleNodes();
    expect(cp.nodeCount).toBe(0);
  } finally {
    cp.close();
  }
});

test("new certificates: node sessions are dropped, and forwarding stops without an impersonator", async () => {
  const cp = new Upstreams({ machinedSocket: "/x.sock", identity });
  try {
    (await cp.open({ kind: "node", node: { host: "127.0.0.1", port: good[0] as number } })).release();
    expect(cp.nodeCount).toBe(1);
    cp.setIdentity(identity);
    expect(cp.nodeCount).toBe(0);
    cp.setIdentity(undefined);
    expect(cp.canForward).toBe(false);
  } finally {
    cp.close();
  }
});
