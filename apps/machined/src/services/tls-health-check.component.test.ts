import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCA, issueCertificate, issueClientCertificate } from "@bronze/pki";
import { freePort, freezeProcess, waitFor } from "@bronze/testing";
import type { Subprocess } from "bun";
import { systemClock } from "../clock.ts";
import { checkOnce } from "../supervisor/health-check.ts";
import { certificateFiles, tlsAnswers, tlsHealthCheck } from "./tls-health-check.ts";

const FIXTURE = join(import.meta.dir, "tls-server-fixture.ts");
let dir: string;
let client: { crt: string; key: string };
const servers: Subprocess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tls-health-"));
  const ca = await generateCA({ commonName: "test CA" });
  const server = await issueCertificate({
    ca,
    commonName: "server",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  writeFileSync(join(dir, "ca.crt"), ca.crt);
  writeFileSync(join(dir, "server.crt"), server.crt);
  writeFileSync(join(dir, "server.key"), server.key);
  client = await issueClientCertificate(ca, { role: "os:impersonator" });
  writeFileSync(join(dir, "impersonator.crt"), client.crt);
  writeFileSync(join(dir, "impersonator.key"), client.key);
});
afterEach(() => {
  for (const s of servers.splice(0)) s.kill("SIGKILL");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real HTTP/2 + TLS server process; its stdout lines (`request GET /`...) are collected. */
async function serve(requireClientCertificate: boolean) {
  const proc = Bun.spawn(["bun", FIXTURE, dir, requireClientCertificate ? "yes" : "no"], {
    stdout: "pipe",
    stderr: "inherit",
  });
  servers.push(proc);
  const lines: string[] = [];
  void (async () => {
    let rest = "";
    for await (const chunk of proc.stdout) {
      const parts = (rest + new TextDecoder().decode(chunk)).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  const listening = await waitFor(() => lines.find((l) => l.startsWith("listening ")), {
    what: "the TLS server listening",
    timeoutMs: 10_000,
    intervalMs: 20,
  });
  return { proc, lines, port: Number(listening.split(" ")[1]) };
}

const check = (port: number, certificate?: () => { crt: string; key: string } | undefined) =>
  checkOnce(
    tlsHealthCheck({ port, ...(certificate !== undefined ? { clientCertificate: certificate } : {}) }),
    systemClock,
    new AbortController().signal,
  );

test("a server without client certificates answers the request itself", async () => {
  const server = await serve(false);
  expect(await check(server.port)).toEqual({ healthy: true, message: "" });
  expect(server.lines).toContain("request GET /");
});

test("a server wanting client certificates: with one, a real request; without, its TLS answer counts", async () => {
  const server = await serve(true);
  expect(await check(server.port, () => certificateFiles(dir, "impersonator"))).toEqual({
    healthy: true,
    message: "",
  });
  expect(server.lines.filter((l) => l === "request GET /")).toHaveLength(1);
  // no certificate (a worker's apid): the server answered the handshake, asking for one
  expect(await check(server.port, () => certificateFiles(dir, "missing"))).toEqual({
    healthy: true,
    message: "",
  });
  expect(server.lines.filter((l) => l === "request GET /")).toHaveLength(1);
});

test("a frozen server (SIGSTOP) is unhealthy within the check's timeout; thawed, healthy again", async () => {
  const server = await serve(true);
  const certificate = () => client;
  expect((await check(server.port, certificate)).healthy).toBe(true);
  await freezeProcess(server.proc.pid);
  try {
    expect(await check(server.port, certificate)).toEqual({
      healthy: false,
      message: "timed out after 1000 ms",
    });
  } finally {
    process.kill(server.proc.pid, "SIGCONT");
  }
  expect((await check(server.port, certificate)).healthy).toBe(true);
});

test("nothing listening is refused; a listener that never speaks TLS is not healthy", async () => {
  const port = await freePort();
  expect(await check(port)).toEqual({ healthy: false, message: `127.0.0.1:${port}: ECONNREFUSED` });
  // what a TCP connect check took for healthy
  const silent: Server = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  try {
    const address = silent.address();
    const silentPort = typeof address === "object" && address !== null ? address.port : 0;
    expect((await check(silentPort)).healthy).toBe(false);
  } finally {
    silent.close();
  }
});

test("an aborted check rejects at once", async () => {
  const abort = new AbortController();
  abort.abort();
  await expect(tlsAnswers("127.0.0.1", 1, abort.signal)).rejects.toThrow("127.0.0.1:1: no answer");
});
