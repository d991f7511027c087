import { isIP, isIPv4 } from "node:net";
import { APID_PORT } from "./apid-port.ts";

export interface NodeAddress {
  /** A hostname, an IPv4 address or an IPv6 address (without brackets). */
  readonly host: string;
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * Parses an `x-bronze-node` value: `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address;
 * the port defaults to apid's. Returns an error message instead when the value is not an address.
 */
export function parseNodeAddress(value: string, defaultPort = APID_PORT): NodeAddress | string {
  const text = value.trim();
  const bad = (why: string) => `invalid node address ${JSON.stringify(value.slice(0, 300))}: ${why}`;
  if (text === "") return bad("empty");
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? "";
    portText = bracketed[2];
    if (isIP(host) !== 6) return bad("brackets must hold an IPv6 address");
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
    if (isIP(host) !== 4 && !HOSTNAME.test(host)) return bad("not a hostname nor an IP address");
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return bad(`port ${JSON.stringify(portText)} is not a number`);
    port = Number(portText);
    if (port < 1 || port > 65535) return bad(`port ${port} is out of range`);
  }
  return { host, port };
}

/** `host:port`, with brackets around IPv6 addresses: a URL authority. */
export function formatNodeAddress(address: NodeAddress): string {
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}

/** Addresses that are never a node: the unspecified ones, broadcast, and multicast. */
function neverANode(host: string): boolean {
  if (isIPv4(host)) {
    const first = Number(host.split(".")[0]);
    return host === "0.0.0.0" || host === "255.255.255.255" || (first >= 224 && first <= 239);
  }
  return isIP(host) === 6 && (/^(0*:)*:?0*$/.test(host) || /^ff/i.test(host));
}

/**
 * Why apid will not forward a call to `address`, or undefined. apid forwards only to another node's
 * apid: on apid's own port (`apidPort`, the one every node of the cluster listens on), to an address
 * that can be a node. The node's certificate is checked when the session opens: it must be the
 * cluster's OS CA's and name that address.
 */
export function forwardingRefusal(address: NodeAddress, apidPort: number): string | undefined {
  const label = formatNodeAddress(address);
  if (address.port !== apidPort) {
    return `apid forwards calls only to other nodes' apids, on port ${apidPort}: not to ${label}`;
  }
  if (neverANode(address.host))
    return `${address.host} is not a node's address (unspecified, broadcast or multicast)`;
  return undefined;
}
