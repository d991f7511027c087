import { derContextPrimitive, derSequence, ia5Bytes } from "./der-writer.ts";
import { formatIpAddress, parseIpAddress } from "./ip-address.ts";
import { PkiError } from "./pki-error.ts";
import type { Extension } from "./x509-extensions.ts";
import { loadX509 } from "./x509-loader.ts";
import { OID } from "./x509-oids.ts";

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
  const parsed = parseIpAddress(trimmed);
  if (parsed) return formatIpAddress(parsed.bytes);
  throw new PkiError("invalid-argument", `${where}: ${JSON.stringify(address)} is not a valid IP address`);
}

/** A SAN given as either an IP address or a DNS name, normalised. */
export function normalizeSan(san: string, where: string): { kind: "ip" | "dns"; value: string } {
  if (typeof san === "string" && parseIpAddress(san.trim().replace(/^\[(.*)\]$/, "$1"))) {
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
): SubjectAltNames {
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

/** The 4 or 16 bytes of an IPv4 or IPv6 address in text form (IPv6 may end in a dotted IPv4). */
export function ipAddressBytes(address: string): Uint8Array {
  const parsed = parseIpAddress(address);
  if (!parsed) throw new PkiError("invalid-argument", `${JSON.stringify(address)} is not a valid IP address`);
  return parsed.bytes;
}

/**
 * The subjectAltName extension (not critical), DER: `[2] dNSName` for each DNS name, then `[7] iPAddress` for
 * each address. Undefined when there is no SAN.
 */
export function subjectAltNameExtension(sans: SubjectAltNames): Extension | undefined {
  if (sans.dnsNames.length === 0 && sans.ipAddresses.length === 0) return undefined;
  const names = [
    ...sans.dnsNames.map((name) => derContextPrimitive(2, ia5Bytes(name))),
    ...sans.ipAddresses.map((address) => derContextPrimitive(7, ipAddressBytes(address))),
  ];
  return { oid: OID.subjectAltName, critical: false, value: derSequence(...names) };
}

/**
 * DNS and IP SANs of a subjectAltName extension value (ours, or an x509 extension); `others` lists SANs of any
 * other type as `type:value`. Parsed with @peculiar/x509 (loaded on first use).
 */
export function readSubjectAltNames(
  extension: { value: ArrayBuffer | Uint8Array } | null | undefined,
): SubjectAltNames & { others: string[] } {
  const result = { dnsNames: [] as string[], ipAddresses: [] as string[], others: [] as string[] };
  if (!extension) return result;
  const x509 = loadX509();
  for (const { type, value } of new x509.GeneralNames(extension.value).toJSON()) {
    if (type === "dns") result.dnsNames.push(value);
    else if (type === "ip") {
      const parsed = parseIpAddress(value);
      result.ipAddresses.push(parsed ? formatIpAddress(parsed.bytes) : value);
    } else result.others.push(`${type}:${value}`);
  }
  return result;
}
