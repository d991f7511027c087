import { describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { x509 } from "./crypto-provider.ts";
import { loadX509 } from "./x509-loader.ts";

// Run in a fresh process: the generation path must not evaluate @peculiar/x509 (reflect-metadata, which
// crypto-provider.ts requires just before x509, is the witness), and the rest must still work once it is.
const PROBE = `
import * as pki from ${JSON.stringify(join(import.meta.dir, "index.ts"))};
const loaded = () => typeof (Reflect as unknown as { getMetadata?: unknown }).getMetadata === "function";
const steps: Record<string, boolean> = { afterImport: loaded() };
const bundle = await pki.generateSecretsBundle();
const admin = await pki.issueClientCertificate(bundle.certs.os, { role: "os:admin" });
pki.stringifySecretsBundle(bundle);
const key = await pki.generateKeyPair("ed25519");
const csr = await pki.createCSR({ privateKeyPem: key.privateKeyPem, commonName: "n", dnsNames: ["n.local"] });
await pki.issueCertificate({ ca: bundle.certs.etcd, commonName: "e", usage: "both", ipAddresses: ["::1"] });
steps.afterGeneration = loaded();
const parsed = await pki.parseSecretsBundle(pki.stringifySecretsBundle(bundle));
steps.afterParseBundle = loaded();
const info = pki.inspectCertificate(admin.crt);
steps.afterInspect = loaded();
await pki.verifyCertificate(admin.crt, bundle.certs.os.crt);
const signed = pki.inspectCertificate(await pki.signCSR({ ca: bundle.certs.os, csrPem: csr, usage: "server" }));
process.stdout.write(JSON.stringify({ steps, organizations: info.organizations, signedDns: signed.dnsNames, parsedOs: parsed.certs.os.crt === bundle.certs.os.crt }));
`;

async function runProbe(compiled: boolean): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), "bronze-pki-loader-"));
  try {
    const source = join(dir, "probe.ts");
    await writeFile(source, PROBE);
    let command = [process.execPath, source];
    if (compiled) {
      const binary = join(dir, "probe");
      const build = Bun.spawnSync(
        [
          process.execPath,
          "build",
          "--compile",
          "--minify",
          "--bytecode",
          "--format=esm",
          source,
          "--outfile",
          binary,
        ],
        { stdout: "pipe", stderr: "pipe" },
      );
      expect(build.stderr.toString()).not.toContain("error");
      expect(build.exitCode).toBe(0);
      command = [binary];
    }
    const child = Bun.spawn(command, { stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    return JSON.parse(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const EXPECTED = {
  steps: { afterImport: false, afterGeneration: false, afterParseBundle: false, afterInspect: true },
  organizations: ["os:admin"],
  signedDns: ["n.local"],
  parsedOs: true,
};

describe("x509 loader", () => {
  test("loads crypto-provider's x509 once, with WebCrypto as its provider", () => {
    expect(loadX509()).toBe(x509);
    expect(loadX509()).toBe(loadX509());
    expect(loadX509().cryptoProvider.get()).toBe(crypto);
  });

  test("from source: generating and parsing a bundle never load x509; inspecting, verifying and signing CSRs load it", async () => {
    expect(await runProbe(false)).toEqual(EXPECTED);
  });

  test("compiled like osctl (bun build --compile --bytecode): the same", async () => {
    expect(await runProbe(true)).toEqual(EXPECTED);
  });
});
