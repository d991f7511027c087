// Test helpers that run the real openssl binary on PEM files in a temporary directory.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `openssl ...args` with `files` (text or bytes) written into a fresh directory (its cwd); the directory is removed after. */
export async function openssl(
  args: string[],
  files: Record<string, string | Uint8Array> = {},
): Promise<OpensslResult> {
  const { code, stdout, stderr } = await opensslWithOutputs(args, files, []);
  return { code, stdout, stderr };
}

/** Like openssl(), but also returns the files named in `outputs` as written by openssl. */
export async function opensslWithOutputs(
  args: string[],
  files: Record<string, string | Uint8Array>,
  outputs: string[],
): Promise<OpensslResult & { outputs: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), "bronze-pki-"));
  try {
    await Promise.all(Object.entries(files).map(([name, content]) => writeFile(join(dir, name), content)));
    const child = Bun.spawn(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    const read: Record<string, string> = {};
    for (const name of outputs) {
      const file = Bun.file(join(dir, name));
      read[name] = (await file.exists()) ? await file.text() : "";
    }
    return { code, stdout, stderr, outputs: read };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `openssl verify -CAfile ca.pem [-untrusted chain.pem] [-purpose p] [-attime t] cert.pem`. */
export async function opensslVerify(
  caPem: string,
  certPem: string,
  options: { purpose?: "sslclient" | "sslserver"; untrustedPem?: string; atTime?: Date } = {},
): Promise<OpensslResult> {
  const args = ["verify", "-CAfile", "ca.pem"];
  const files: Record<string, string> = { "ca.pem": caPem, "cert.pem": certPem };
  if (options.purpose) args.push("-purpose", options.purpose);
  if (options.untrustedPem) {
    args.push("-untrusted", "untrusted.pem");
    files["untrusted.pem"] = options.untrustedPem;
  }
  if (options.atTime) args.push("-attime", String(Math.floor(options.atTime.getTime() / 1000)));
  args.push("cert.pem");
  return openssl(args, files);
}

/** `openssl x509 -noout -text` of a certificate. */
export async function opensslText(certPem: string): Promise<string> {
  const result = await openssl(["x509", "-noout", "-text", "-in", "cert.pem"], { "cert.pem": certPem });
  if (result.code !== 0) throw new Error(`openssl x509 failed: ${result.stderr}`);
  return result.stdout;
}

/** The value line(s) that follow an extension header in `openssl x509 -text` output. */
export function extensionText(
  text: string,
  header: string,
): { critical: boolean; value: string } | undefined {
  const lines = text.split("\n");
  const index = lines.findIndex((line) => line.trim().startsWith(`${header}:`));
  if (index < 0) return undefined;
  return { critical: (lines[index] as string).includes("critical"), value: (lines[index + 1] ?? "").trim() };
}
