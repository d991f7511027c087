import { isIP } from "node:net";
import { TrustdError } from "./trustd-error.ts";

/** Parses `host:port` (`[v6]:port` for IPv6) for --listen. Throws TrustdError "Usage" naming the flag. */
export function parseListenAddress(value: string, flag: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || port > 65535) {
    throw new TrustdError("Usage", `${flag}: ${JSON.stringify(value)} is not host:port (e.g. 0.0.0.0:50001)`);
  }
  if (match[1] !== undefined && isIP(host) !== 6) {
    throw new TrustdError("Usage", `${flag}: ${JSON.stringify(value)}: brackets must hold an IPv6 address`);
  }
  return { host, port };
}
