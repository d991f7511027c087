// The certificate a TLS server presents, for end-to-end tests checking who issued a node's certificate.
import { connect } from "node:tls";

export class PeerCertificateError extends Error {
  override readonly name = "PeerCertificateError";
  readonly code = "NoCertificate";
}

export interface PeerCertificateOptions {
  host: string;
  port: number;
  /** A client certificate and key (PEM), for servers that require one (apid). */
  cert?: string;
  key?: string;
  /** Default 30 s. */
  timeoutMs?: number;
}

function toPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/**
 * Completes a TLS handshake with `host:port` (offering h2, as osctl does) without verifying the
 * server, and returns the certificate it presented as PEM. Throws PeerCertificateError naming the
 * address when there is no handshake or no certificate.
 */
export function peerCertificate(options: PeerCertificateOptions): Promise<string> {
  const where = `${options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: options.host,
      port: options.port,
      rejectUnauthorized: false,
      ALPNProtocols: ["h2"],
      ...(options.cert === undefined ? {} : { cert: options.cert }),
      ...(options.key === undefined ? {} : { key: options.key }),
    });
    let settled = false;
    const finish = (error: Error | undefined, pem?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(pem as string);
    };
    const timer = setTimeout(
      () =>
        finish(
          new PeerCertificateError(`${where}: no TLS handshake within ${options.timeoutMs ?? 30_000} ms`),
        ),
      options.timeoutMs ?? 30_000,
    );
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate(true)?.raw;
      if (!raw || raw.length === 0)
        finish(new PeerCertificateError(`${where}: the server presented no certificate`));
      else finish(undefined, toPem(raw));
    });
    socket.once("error", (error) =>
      finish(new PeerCertificateError(`${where}: ${error.message}`, { cause: error })),
    );
  });
}
