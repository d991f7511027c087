import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { freePort } from "@bronze/testing";
import { tlsAnswers } from "./tls-probe.ts";

const dir = mkdtempSync(join(tmpdir(), "tls-probe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(): { key: string; cert: string } {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  const args = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -days 1";
  const made = Bun.spawnSync(["openssl", ...args.split(" "), "-keyout", key, "-out", cert]);
  if (made.exitCode !== 0) throw new Error(`openssl: ${made.stderr.toString()}`);
  return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
}

async function listening<T extends { listen(port: number, host: string, done: () => void): unknown }>(
  server: T,
): Promise<T> {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return server;
}

test("true for a TLS server, false for plain TCP that closes and for a closed port", async () => {
  const tls = await listening(createTlsServer({ ...selfSigned(), ALPNProtocols: ["h2"] }, (s) => s.end()));
  try {
    expect(await tlsAnswers("127.0.0.1", (tls.address() as AddressInfo).port)).toBe(true);
  } finally {
    tls.close();
  }
  const plain = await listening(createServer((socket) => socket.end()));
  try {
    expect(await tlsAnswers("127.0.0.1", (plain.address() as AddressInfo).port)).toBe(false);
  } finally {
    plain.close();
  }
  expect(await tlsAnswers("127.0.0.1", await freePort())).toBe(false);
});
