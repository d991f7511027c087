// TLS pinned by certificate fingerprint, for a node in maintenance mode (a self-signed
// certificate, no client certificate): the TLS handshake completes, the peer certificate's SHA-256
// fingerprint is compared, and only then is that very socket handed to HTTP/2. Nothing is written
// to a server whose certificate does not match.
import tls from "node:tls";
import { CliError, usageError } from "../cli-error.ts";
import { splitEndpoint } from "./endpoint.ts";
import { describeTransportError } from "./node-error.ts";

/** Uppercase hex without separators; accepts `AB:CD:...`, `abcd...`, optionally `sha256:`-prefixed. */
export function normalizeFingerprint(value: string): string {
  const hex = value
    .trim()
    .replace(/^sha256:/i, "")
    .replace(/[:\s]/g, "")
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex))
    throw usageError(`--cert-fingerprint: "${value}" is not a SHA-256 fingerprint (64 hex digits)`);
  return hex;
}

/** Opens a TLS connection to `endpoint` and keeps it only if the server certificate has `fingerprint`. */
export async function connectPinned(
  endpoint: string,
  fingerprint: string,
  timeoutMs: number,
): Promise<tls.TLSSocket> {
  const expected = normalizeFingerprint(fingerprint);
  const { host, port } = splitEndpoint(endpoint);
  const socket = tls.connect({
    host,
    port,
    rejectUnauthorized: false,
    ALPNProtocols: ["h2"],
    servername: "",
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new CliError("failed", `cannot connect to ${endpoint}: TLS handshake timed out`)),
        timeoutMs,
      );
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    socket.destroy();
    if (error instanceof CliError) throw error;
    throw new CliError(
      "failed",
      describeTransportError(error, endpoint) ?? `${endpoint}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const actual = (socket.getPeerCertificate().fingerprint256 ?? "").replace(/:/g, "").toUpperCase();
  if (actual !== expected) {
    socket.destroy();
    throw new CliError(
      "failed",
      `${endpoint}: server certificate fingerprint ${actual || "(none)"} does not match --cert-fingerprint ${expected}; nothing was sent`,
    );
  }
  return socket;
}
