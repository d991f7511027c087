import { isIP } from "node:net";
import type { NetworkInterfaceInfo } from "node:os";

/** What names a node's API server certificate carries. */
export interface NodeIdentity {
  readonly hostname: string;
  /** The node's own addresses (no prefix length). */
  readonly addresses: readonly string[];
  /** machine.certSANs: IPs or DNS names. */
  readonly certSANs: readonly string[];
}

/**
 * The node's addresses from `os.networkInterfaces()`: every interface's, loopback and IPv6
 * link-local ones excepted (they are added as constants, or are useless off-link).
 */
export function interfaceAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === "IPv6" && /^fe80:/i.test(info.address)) continue;
      out.push(info.address);
    }
  }
  return out;
}

/**
 * apid's SANs: the hostname, localhost, 127.0.0.1, ::1, the node's addresses and machine.certSANs,
 * split into DNS names and IPs, without duplicates.
 */
export function nodeSubjectAltNames(identity: NodeIdentity): { dnsNames: string[]; ipAddresses: string[] } {
  const dns = new Set<string>();
  const ips = new Set<string>();
  const add = (name: string) => {
    const trimmed = name.trim();
    if (trimmed === "") return;
    if (isIP(trimmed) !== 0) ips.add(trimmed.toLowerCase());
    else dns.add(trimmed.toLowerCase());
  };
  for (const name of [identity.hostname, "localhost", "127.0.0.1", "::1"]) add(name);
  for (const address of identity.addresses) add(address);
  for (const name of identity.certSANs) add(name);
  return { dnsNames: [...dns], ipAddresses: [...ips] };
}
