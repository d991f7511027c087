// PEM certificates as @peculiar/x509 objects, for inspection and chain verification (x509 is loaded on first
// use; issuing reads CA certificates with certificate-reader.ts instead).
import type * as X509 from "@peculiar/x509";
import { decodePemBlocks, decodeSinglePem, type PemBlock } from "./pem.ts";
import { PkiError } from "./pki-error.ts";
import { loadX509 } from "./x509-loader.ts";

function certificateFromBlock(block: PemBlock, what: string): X509.X509Certificate {
  try {
    return new (loadX509().X509Certificate)(block.der);
  } catch (error) {
    throw new PkiError(
      "invalid-certificate",
      `${what}: not a valid X.509 certificate (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
}

/** Exactly one PEM "CERTIFICATE". `what` names it in error messages. */
export function parseCertificate(pem: string, what = "certificate"): X509.X509Certificate {
  return certificateFromBlock(decodeSinglePem(pem, ["CERTIFICATE"], what), what);
}

/** One or more PEM "CERTIFICATE" blocks, in order (other block types are an error). */
export function parseCertificates(pem: string, what = "certificates"): X509.X509Certificate[] {
  return decodePemBlocks(pem, what).map((block, i) => {
    if (block.label !== "CERTIFICATE") {
      throw new PkiError(
        "invalid-pem",
        `${what}: PEM block ${i + 1} is "${block.label}", expected "CERTIFICATE"`,
      );
    }
    return certificateFromBlock(block, `${what} (block ${i + 1})`);
  });
}
