// trustd figure (`bun run bench` in apps/trustd): certificates signed per second through trustd (the real
// main.ts in its own process, gRPC over TLS, one call at a time), against `openssl x509 -req` signing the
// same CSRs (one process per CSR, as a shell script would), in the same run. `--csrs N` (default 200).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SecurityService } from "@bronze/api";
import { createCSR, generateCA, generateKeyPair, issueCertificate } from "@bronze/pki";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { csrs: { type: "string", default: "200" } },
});
const count = Number(values.csrs);
const TOKEN = "abcdef.0123456789abcdef";

const dir = mkdtempSync(join(tmpdir(), "trustd-bench-"));
const ca = await generateCA({ commonName: "bronze os" });
const server = await issueCertificate({ ca, commonName: "cp", usage: "server", ipAddresses: ["127.0.0.1"] });
for (const [name, text] of Object.entries({
  "ca.crt": ca.crt,
  "ca.key": ca.key,
  "server.crt": server.crt,
  "server.key": server.key,
  token: TOKEN,
})) {
  writeFileSync(join(dir, name), text);
}
const csrs: string[] = [];
for (let i = 0; i < count; i++) {
  const { privateKeyPem } = await generateKeyPair();
  const csr = await createCSR({ privateKeyPem, commonName: `worker-${i}`, ipAddresses: ["127.0.0.1"] });
  csrs.push(csr);
  writeFileSync(join(dir, `csr-${i}.pem`), csr);
}

const proc = Bun.spawn(
  [
    process.execPath,
    join(import.meta.dir, "../src/main.ts"),
    "--listen",
    "127.0.0.1:0",
    "--pki-dir",
    dir,
    "--token-file",
    join(dir, "token"),
  ],
  { stdout: "pipe", stderr: "inherit" },
);
const reader = proc.stdout.getReader();
let out = "";
while (!/serving on 127\.0\.0\.1:\d+/.test(out)) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`trustd exited: ${out}`);
  out += new TextDecoder().decode(value);
}
const port = Number(/serving on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
const baseUrl = `https://127.0.0.1:${port}`;
const sessionManager = new Http2SessionManager(baseUrl, undefined, { ca: ca.crt });
const client = createClient(SecurityService, createGrpcTransport({ baseUrl, sessionManager }));
const encoder = new TextEncoder();

try {
  // Warm up (first use loads x509 in trustd).
  for (let i = 0; i < 5; i++) {
    await client.certificate(
      { csr: encoder.encode(csrs[i] ?? "") },
      { headers: { "x-bronze-token": TOKEN } },
    );
  }
  let t = performance.now();
  for (const csr of csrs) {
    const res = await client.certificate(
      { csr: encoder.encode(csr) },
      { headers: { "x-bronze-token": TOKEN } },
    );
    if (res.crt.length === 0) throw new Error("empty certificate");
  }
  const trustdRate = count / ((performance.now() - t) / 1000);

  t = performance.now();
  for (let i = 0; i < count; i++) {
    const r = Bun.spawnSync([
      "openssl",
      "x509",
      "-req",
      "-in",
      join(dir, `csr-${i}.pem`),
      "-CA",
      join(dir, "ca.crt"),
      "-CAkey",
      join(dir, "ca.key"),
      "-days",
      "365",
      "-out",
      join(dir, `crt-${i}.pem`),
    ]);
    if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
  }
  const opensslRate = count / ((performance.now() - t) / 1000);
  console.log(`trustd: ${count} CSRs signed`);
  console.log(`  through trustd (gRPC over TLS, sequential)   ${trustdRate.toFixed(0)} certificates/s`);
  console.log(`  openssl x509 -req (one process per CSR)      ${opensslRate.toFixed(0)} certificates/s`);
  console.log(
    `  ratio ${(trustdRate / opensslRate).toFixed(2)} (target >= 0.5: ${trustdRate >= opensslRate / 2 ? "met" : "NOT met"})`,
  );
} finally {
  sessionManager.abort();
  proc.kill("SIGTERM");
  await proc.exited;
  rmSync(dir, { recursive: true, force: true });
}
