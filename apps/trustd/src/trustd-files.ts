import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { TrustdError } from "./trustd-error.ts";

/** The files trustd reads from its --pki-dir. */
export const TRUSTD_PKI_FILES = {
  caCrt: "ca.crt",
  caKey: "ca.key",
  serverCrt: "server.crt",
  serverKey: "server.key",
} as const;

export interface TrustdPki {
  /** The OS CA that signs the certificates. */
  readonly ca: { readonly crt: string; readonly key: string };
  /** trustd's own TLS certificate: the node's server certificate. */
  readonly server: { readonly crt: string; readonly key: string };
}

function read(path: string, code: "PkiDir" | "TokenFile"): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : (error as Error).message;
    throw new TrustdError(code, `${path}: ${why}`, { cause: error });
  }
}

/** Reads trustd's certificates; the server pair is checked as TLS would load it. Throws TrustdError "PkiDir". */
export function readTrustdPki(dir: string): TrustdPki {
  const f = TRUSTD_PKI_FILES;
  const pki = {
    ca: { crt: read(join(dir, f.caCrt), "PkiDir"), key: read(join(dir, f.caKey), "PkiDir") },
    server: { crt: read(join(dir, f.serverCrt), "PkiDir"), key: read(join(dir, f.serverKey), "PkiDir") },
  };
  try {
    createSecureContext({ cert: pki.server.crt, key: pki.server.key });
  } catch (error) {
    throw new TrustdError(
      "PkiDir",
      `${join(dir, f.serverCrt)} / ${f.serverKey}: not a usable certificate and key (${(error as Error).message})`,
      { cause: error },
    );
  }
  return pki;
}

/** Reads the machine token (surrounding whitespace dropped). Throws TrustdError "TokenFile". */
export function readToken(path: string): string {
  const token = read(path, "TokenFile").trim();
  if (token === "") throw new TrustdError("TokenFile", `${path}: empty`);
  return token;
}
