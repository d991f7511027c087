import { PkiError } from "./pki-error.ts";
import type { NameSpec } from "./x509-name.ts";

/** Subject name `O=<org>..., CN=<cn>` (Go's attribute order), as RDNs, so no DN escaping is involved. */
export function distinguishedName(commonName: string, organizations: readonly string[] = []): NameSpec {
  if (typeof commonName !== "string" || commonName.trim() === "") {
    throw new PkiError("invalid-argument", "commonName: must be a non-empty string");
  }
  if (!Array.isArray(organizations) || organizations.some((o) => typeof o !== "string" || o.trim() === "")) {
    throw new PkiError("invalid-argument", "organizations: must be an array of non-empty strings");
  }
  const name: { O?: string[]; CN?: string[] }[] = [];
  if (organizations.length > 0) name.push({ O: [...new Set(organizations)] });
  name.push({ CN: [commonName] });
  return name;
}
