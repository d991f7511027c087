// A trustd on a real TLS port of 127.0.0.1 with a fresh OS CA, and a client for it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecurityService } from "@bronze/api";
import { type CertificateAndKey, generateCA, issueCertificate } from "@bronze/pki";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { startTrustd, type Trustd } from "../src/trustd-server.ts";

export const TOKEN = "abcdef.0123456789abcdef";

export interface TrustdFixture {
  dir: string;
  ca: CertificateAndKey;
  trustd: Trustd;
  client(): Client<typeof SecurityService>;
  close(): Promise<void>;
}

export async function startTrustdFixture(
  options: { extraSans?: string[]; pollMs?: number } = {},
): Promise<TrustdFixture> {
  const dir = mkdtempSync(join(tmpdir(), "trustd-test-"));
  const ca = await generateCA({ commonName: "bronze os", organization: "bronze" });
  const server = await issueCertificate({
    ca,
    commonName: "cp-1",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  writeFileSync(join(dir, "ca.crt"), ca.crt);
  writeFileSync(join(dir, "ca.key"), ca.key);
  writeFileSync(join(dir, "server.crt"), server.crt);
  writeFileSync(join(dir, "server.key"), server.key);
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  const trustd = await startTrustd({
    host: "127.0.0.1",
    port: 0,
    pkiDir: dir,
    tokenFile: join(dir, "token"),
    extraSans: options.extraSans,
    pollMs: options.pollMs,
  });
  const managers: Http2SessionManager[] = [];
  return {
    dir,
    ca,
    trustd,
    client() {
      const baseUrl = `https://127.0.0.1:${trustd.port}`;
      const sessionManager = new Http2SessionManager(baseUrl, undefined, { ca: ca.crt });
      managers.push(sessionManager);
      return createClient(SecurityService, createGrpcTransport({ baseUrl, sessionManager }));
    },
    async close() {
      for (const m of managers) m.abort();
      await trustd.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
