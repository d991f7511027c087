// `osctl gen ca|key|csr|crt`: the low-level PKI helpers, named and shaped like talosctl's, for
// minting certificates by hand (e.g. a client certificate from a key that never left its machine).
import { basename, resolve } from "node:path";
import {
  type CertificateUsage,
  createCSR,
  generateCA,
  generateKeyPair,
  type KeyAlgorithm,
  PkiError,
  signCSR,
} from "@bronze/pki";
import { CliError } from "../cli-error.ts";
import { writeFilesAtomically } from "../files/atomic-write.ts";
import { readTextFile } from "../files/read-input.ts";
import type { Io } from "../io.ts";

function pkiFailure(what: string, error: unknown): never {
  if (error instanceof PkiError) throw new CliError("invalid-input", `${what}: ${error.message}`);
  throw error;
}

interface Common {
  output: string;
  force: boolean;
}

export async function genCA(
  options: Common & { organization: string; hours: number; algorithm: KeyAlgorithm },
  io: Io,
): Promise<void> {
  const ca = await generateCA({
    commonName: options.organization,
    organization: options.organization,
    algorithm: options.algorithm,
    validityDays: options.hours / 24,
    now: io.now(),
  });
  const base = resolve(io.cwd, options.output, options.organization);
  const files = [
    { path: `${base}.crt`, content: ca.crt },
    { path: `${base}.key`, content: ca.key, mode: 0o600 },
  ];
  writeFilesAtomically(files, options);
  for (const f of files) io.stdout(`created ${f.path}\n`);
}

export async function genKey(
  options: Common & { name: string; algorithm: KeyAlgorithm },
  io: Io,
): Promise<void> {
  const pair = await generateKeyPair(options.algorithm);
  const path = resolve(io.cwd, options.output, `${options.name}.key`);
  writeFilesAtomically([{ path, content: pair.privateKeyPem, mode: 0o600 }], options);
  io.stdout(`created ${path}\n`);
}

export async function genCSR(
  options: Common & { key: string; ip: string[]; dns: string[]; roles: string[]; commonName?: string },
  io: Io,
): Promise<void> {
  const key = readTextFile(options.key, io, "--key");
  const name = basename(options.key).replace(/\.key$/, "");
  const csr = await createCSR({
    privateKeyPem: key.text,
    commonName: options.commonName ?? name,
    organizations: options.roles,
    ipAddresses: options.ip,
    dnsNames: options.dns,
  }).catch((error) => pkiFailure(`--key ${options.key}`, error));
  const path = resolve(io.cwd, options.output, `${name}.csr`);
  writeFilesAtomically([{ path, content: csr }], options);
  io.stdout(`created ${path}\n`);
}

export async function genCrt(
  options: Common & { ca: string; csr: string; name: string; hours: number; usage: CertificateUsage },
  io: Io,
): Promise<void> {
  const caBase = options.ca.replace(/\.(crt|key)$/, "");
  const ca = {
    crt: readTextFile(`${caBase}.crt`, io, "--ca").text,
    key: readTextFile(`${caBase}.key`, io, "--ca").text,
  };
  const csr = readTextFile(options.csr, io, "--csr");
  const crt = await signCSR({
    ca,
    csrPem: csr.text,
    usage: options.usage,
    validityDays: options.hours / 24,
    now: io.now(),
  }).catch((error) => pkiFailure(`--csr ${options.csr} with --ca ${options.ca}`, error));
  const path = resolve(io.cwd, options.output, `${options.name}.crt`);
  writeFilesAtomically([{ path, content: crt }], options);
  io.stdout(`created ${path}\n`);
}
