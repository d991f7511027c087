import { isIP } from "node:net";

/**
 * Parses `host:port` (`[v6]:port` for IPv6), the --listen flag of apid and trustd. Returns the error
 * message instead, naming the flag, when the value is not one (the caller throws its own usage error).
 */
export function parseListenAddress(
  value: string,
  flag: string,
  examplePort: number,
): { host: string; port: number } | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || port > 65535) {
    return `${flag}: ${JSON.stringify(value)} is not host:port (e.g. 0.0.0.0:${examplePort})`;
  }
  if (match[1] !== undefined && isIP(host) !== 6) {
    return `${flag}: ${JSON.stringify(value)}: brackets must hold an IPv6 address`;
  }
  return { host, port };
}
