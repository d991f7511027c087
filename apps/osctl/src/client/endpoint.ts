// Endpoints are `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; apid's port is 50000.
import { usageError } from "../cli-error.ts";

export const APID_PORT = 50000;

export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const text = endpoint
    .trim()
    .replace(/^https?:\/\//, "")
    .replace(/\/+$/, "");
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1] ?? "", port: port(endpoint, bracketed[2]) };
  if ((text.match(/:/g) ?? []).length > 1) return { host: text, port: APID_PORT };
  const [host = "", portText] = text.split(":");
  if (!host) throw usageError(`endpoint "${endpoint}": no host`);
  return { host, port: port(endpoint, portText) };
}

function port(endpoint: string, text: string | undefined): number {
  if (text === undefined) return APID_PORT;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535)
    throw usageError(`endpoint "${endpoint}": "${text}" is not a port`);
  return value;
}

/** The https base URL of apid at `endpoint`. */
export function endpointUrl(endpoint: string): string {
  const { host, port } = splitEndpoint(endpoint);
  return `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
