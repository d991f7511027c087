import { isIP } from "node:net";
import { x509 } from "./crypto-provider.ts";
import { PkiError } from "./pki-error.ts";

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Lowercased DNS name; rejects anything that is not a hostname (a leading `*.` wildcard is allowed). */
export function normalizeDnsName(name: string, where = "dnsNames"): string {
  const lower = typeof name === "string" ? name.trim().toLowerCase().replace(/\.$/, "") : "";
  const labels = lower.startsWith("*.") ? lower.slice(2).split(".") : lower.split(".");
  if (lower.length === 0 || lower.length > 253 || !labels.every((label) => DNS_LABEL.test(label))) {
    throw new PkiError("invalid-argument", `${where}: ${JSON.stringify(name)} is not a valid DNS name`);
  }
  return lower;
}

/** Canonical text form of an IPv4 or IPv6 address (IPv6 compressed, lowercase, RFC 5952). */
export function normalizeIpAddress(address: string, where = "ipAddresses"): string {
  const trimmed = typeof address === "string" ? address.trim().replace(/^\[(.*)\]$/, "$1") : "";
  const version = isIP(trimmed);
  if (version === 4) return trimmed;
  if (version === 6) return new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
  throw new PkiError("invalid-argument", `${where}: ${JSON.stringify(address)} is not a valid IP address`);
}

/** A SAN given as either an IP address or a DNS name, normalised. */
export function normalizeSan(san: string, where: string): { kind: "ip" | "dns"; value: string } {
  if (typeof san === "string" && isIP(san.trim().replace(/^\[(.*)\]$/, "$1")) !== 0) {
    return { kind: "ip", value: normalizeIpAddress(san, where) };
  }
  return { kind: "dns", value: normalizeDnsName(san, where) };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export interface SubjectAltNames {
  dnsNames: string[];
  ipAddresses: string[];
}

export function normalizeSubjectAltNames(
  dnsNames: readonly string[] = [],
  ipAddresses: readonly string[] = [],
) {
  if (!Array.isArray(dnsNames))
    throw new PkiError("invalid-argument", "dnsNames: must be an array of strings");
  if (!Array.isArray(ipAddresses)) {
    throw new PkiError("invalid-argument", "ipAddresses: must be an array of strings");
  }
  return {
    dnsNames: unique(dnsNames.map((name, i) => normalizeDnsName(name, `dnsNames[${i}]`))),
    ipAddresses: unique(ipAddresses.map((ip, i) => normalizeIpAddress(ip, `ipAddresses[${i}]`))),
  };
}

export function subjectAltNameExtension(
  sans: SubjectAltNames,
): x509.SubjectAlternativeNameExtension | undefined {
  if (sans.dnsNames.length === 0 && sans.ipAddresses.length === 0) return undefined;
  return new x509.SubjectAlternativeNameExtension([
    ...sans.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...sans.ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ]);
}

/** DNS and IP SANs of an extension; `others` lists SANs of any other type as `type:value`. */
export function readSubjectAltNames(
  extension: x509.SubjectAlternativeNameExtension | null,
): SubjectAltNames & { others: string[] } {
  const result = { dnsNames: [] as string[], ipAddresses: [] as string[], others: [] as string[] };
  for (const { type, value } of extension?.names.toJSON() ?? []) {
    if (type === "dns") result.dnsNames.push(value);
    else if (type === "ip") result.ipAddresses.push(isIP(value) ? normalizeIpAddress(value) : value);
    else result.others.push(`${type}:${value}`);
  }
  return result;
}
