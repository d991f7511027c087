import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { ApidError } from "./apid-error.ts";

/** The files apid reads from its --pki-dir (machined writes them; the impersonator pair on control planes only). */
export const PKI_FILES = {
  ca: "ca.crt",
  serverCrt: "server.crt",
  serverKey: "server.key",
  impersonatorCrt: "impersonator.crt",
  impersonatorKey: "impersonator.key",
} as const;

export interface CertificateAndKeyPem {
  readonly crt: string;
  readonly key: string;
}

/** apid's certificates, PEM. */
export interface ApidPki {
  /** The OS CA: client certificates must be signed by it; other nodes' apids too. */
  readonly ca: string;
  readonly server: CertificateAndKeyPem;
  /** This node's os:impersonator client certificate (control planes), to forward calls to other nodes. */
  readonly impersonator: CertificateAndKeyPem | undefined;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ApidError("PkiDir", `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function readRequired(dir: string, name: string): string {
  const text = readOptional(join(dir, name));
  if (text === undefined) throw new ApidError("PkiDir", `${join(dir, name)}: missing`);
  return text;
}

function checkPair(
  dir: string,
  crtName: string,
  keyName: string,
  pair: CertificateAndKeyPem,
  ca?: string,
): void {
  try {
    createSecureContext({ cert: pair.crt, key: pair.key, ca });
  } catch (error) {
    throw new ApidError(
      "PkiDir",
      `${join(dir, crtName)} / ${keyName}${ca === undefined ? "" : ` / ${PKI_FILES.ca}`}: not a usable certificate and key (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** Reads and checks (as TLS would load them) the certificates in `dir`. Throws ApidError "PkiDir". */
export function readPkiDir(dir: string): ApidPki {
  const ca = readRequired(dir, PKI_FILES.ca);
  const server = { crt: readRequired(dir, PKI_FILES.serverCrt), key: readRequired(dir, PKI_FILES.serverKey) };
  checkPair(dir, PKI_FILES.serverCrt, PKI_FILES.serverKey, server, ca);
  const crt = readOptional(join(dir, PKI_FILES.impersonatorCrt));
  const key = readOptional(join(dir, PKI_FILES.impersonatorKey));
  if ((crt === undefined) !== (key === undefined)) {
    const missing = crt === undefined ? PKI_FILES.impersonatorCrt : PKI_FILES.impersonatorKey;
    throw new ApidError(
      "PkiDir",
      `${join(dir, missing)}: missing (the impersonator needs both files, or neither)`,
    );
  }
  let impersonator: CertificateAndKeyPem | undefined;
  if (crt !== undefined && key !== undefined) {
    impersonator = { crt, key };
    checkPair(dir, PKI_FILES.impersonatorCrt, PKI_FILES.impersonatorKey, impersonator);
  }
  return { ca, server, impersonator };
}

export function samePki(a: ApidPki, b: ApidPki): boolean {
  return (
    a.ca === b.ca &&
    a.server.crt === b.server.crt &&
    a.server.key === b.server.key &&
    a.impersonator?.crt === b.impersonator?.crt &&
    a.impersonator?.key === b.impersonator?.key
  );
}
