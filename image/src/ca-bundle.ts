import { ImageError } from "./image-error.ts";

/**
 * `/etc/ssl/certs/ca-certificates.crt` as update-ca-certificates would write it from the
 * ca-certificates package: every certificate under usr/share/ca-certificates, in sorted path order,
 * concatenated. Takes path => PEM text; throws when a file holds no certificate.
 */
export function caBundle(certificates: ReadonlyMap<string, string>): string {
  const paths = [...certificates.keys()].sort();
  if (paths.length === 0) throw new ImageError("NotFound", "ca-certificates: no certificate found");
  return paths
    .map((path) => {
      const pem = certificates.get(path) as string;
      if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
        throw new ImageError("ParseError", `ca-certificates: ${path} holds no PEM certificate`);
      }
      return pem.endsWith("\n") ? pem : `${pem}\n`;
    })
    .join("");
}
