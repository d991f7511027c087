import { connect } from "node:net";
import { checkServerIdentity, SecurityService, TOKEN_HEADER } from "@bronze/api";
import { createCSR, generateKeyPair } from "@bronze/pki";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

export const TRUSTD_PORT = 50001;

export interface TrustdEndpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * trustd's address from cluster.controlPlane.endpoint (`https://host:6443`): the same host, trustd's port.
 * Throws naming the field when the endpoint is not a URL.
 */
export function trustdEndpoint(controlPlaneEndpoint: string, port = TRUSTD_PORT): TrustdEndpoint {
  let url: URL;
  try {
    url = new URL(controlPlaneEndpoint);
  } catch {
    throw new Error(`cluster.controlPlane.endpoint ${JSON.stringify(controlPlaneEndpoint)} is not a URL`);
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port };
}

/** The local address this node reaches `endpoint` from: the one trustd sees, so the one it will sign. */
export function sourceAddress(endpoint: TrustdEndpoint, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port, timeout: timeoutMs });
    socket.once("connect", () => {
      const address = socket.localAddress;
      socket.destroy();
      if (address === undefined) reject(new Error(`no local address towards ${endpoint.host}`));
      else resolve(address.replace(/^::ffff:/, ""));
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new Error(`trustd at ${endpoint.host}:${endpoint.port}: no answer within ${timeoutMs} ms`));
    });
    socket.once("error", (err: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(new Error(`trustd at ${endpoint.host}:${endpoint.port}: ${err.code ?? err.message}`));
    });
  });
}

export interface WorkerCertificateRequest {
  readonly endpoint: TrustdEndpoint;
  /** The OS CA certificate (machine.ca.crt), PEM: trustd's certificate must chain to it. */
  readonly ca: string;
  readonly token: string;
  readonly hostname: string;
  readonly timeoutMs?: number;
}

/**
 * Asks trustd to sign a new key's server certificate (docs/design.md §4, SecurityService.Certificate). The
 * CSR names this node's address as trustd sees it, plus the loopback names: trustd signs nothing
 * else for a joining node. Its subject is ignored: trustd names the certificate after that address.
 */
export async function requestWorkerCertificate(
  request: WorkerCertificateRequest,
): Promise<{ ca: string; crt: string; key: string }> {
  const { endpoint } = request;
  const address = await sourceAddress(endpoint, request.timeoutMs);
  const keys = await generateKeyPair("ecdsa-p256");
  const csr = await createCSR({
    privateKeyPem: keys.privateKeyPem,
    commonName: request.hostname,
    // Loopback names too, which trustd lets every node claim: osctl reaches a local cluster's
    // nodes through port forwards on 127.0.0.1.
    ipAddresses: [...new Set([address, "127.0.0.1", "::1"])],
    dnsNames: ["localhost"],
  });
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  const baseUrl = `https://${host}:${endpoint.port}`;
  // trustd's certificate must be the OS CA's and name the endpoint's host among its SANs (never its CN).
  const sessions = new Http2SessionManager(baseUrl, undefined, { ca: request.ca, checkServerIdentity });
  try {
    const client = createClient(SecurityService, createGrpcTransport({ baseUrl, sessionManager: sessions }));
    const response = await client.certificate(
      { csr: new TextEncoder().encode(csr) },
      { headers: { [TOKEN_HEADER]: request.token }, timeoutMs: request.timeoutMs ?? 10_000 },
    );
    const decoder = new TextDecoder();
    return { ca: decoder.decode(response.ca), crt: decoder.decode(response.crt), key: keys.privateKeyPem };
  } finally {
    sessions.abort();
  }
}
