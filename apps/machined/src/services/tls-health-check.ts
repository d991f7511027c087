import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import type { HealthCheckSpec } from "../supervisor/service.ts";

export interface ClientCertificate {
  readonly crt: string;
  readonly key: string;
}

export interface TlsHealthCheckOptions {
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /**
   * A client certificate to present, asked at each check (apid's impersonator pair on a control
   * plane): with one, a server that wants client certificates answers the request itself.
   */
  readonly clientCertificate?: () => ClientCertificate | undefined;
}

/** The TLS alert of a server that wants a client certificate this check did not have. */
const ASKS_FOR_A_CERTIFICATE = /CERTIFICATE_REQUIRED/;

/**
 * Resolves once the HTTP/2 + TLS server at host:port answers a request (`GET /`, any status), or, when
 * it wants a client certificate this check has not got, once its TLS stack has answered the handshake
 * and asked for one: either way the server's process is alive and serving. Rejects saying why when it
 * refuses the connection or fails otherwise; abort gives up (no answer).
 */
export function tlsAnswers(
  host: string,
  port: number,
  signal: AbortSignal,
  certificate?: ClientCertificate,
): Promise<void> {
  const where = `${host}:${port}`;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    // Only the answer matters here, not whose certificate the server shows.
    const session = http2.connect(`https://${where}`, {
      rejectUnauthorized: false,
      ...(certificate !== undefined ? { cert: certificate.crt, key: certificate.key } : {}),
    });
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      session.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onError = (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "";
      if (ASKS_FOR_A_CERTIFICATE.test(`${code} ${err.message}`)) finish();
      else finish(new Error(`${where}: ${code || err.message}`));
    };
    const onAbort = () => finish(new Error(`${where}: no answer`));
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) return onAbort();
    session.on("error", onError);
    const request = session.request({ ":method": "GET", ":path": "/" });
    request.on("response", () => finish());
    request.on("error", onError);
    request.end();
  });
}

/**
 * Healthy while the TLS server on 127.0.0.1:port answers an HTTP/2 request within a second (see
 * tlsAnswers). A TCP connect alone succeeds on a frozen process: the kernel's backlog accepts it.
 */
export function tlsHealthCheck(options: TlsHealthCheckOptions): HealthCheckSpec {
  const host = options.host ?? "127.0.0.1";
  return {
    initialDelayMs: 200,
    periodMs: 2000,
    // refused until the service listens (cheap); its first TLS answer makes it healthy
    startPeriodMs: 100,
    timeoutMs: 1000,
    check: (signal) => tlsAnswers(host, options.port, signal, options.clientCertificate?.()),
  };
}

/** The pair `<dir>/<name>.crt` and `.key`, when both can be read. */
export function certificateFiles(dir: string, name: string): ClientCertificate | undefined {
  try {
    return {
      crt: readFileSync(join(dir, `${name}.crt`), "utf8"),
      key: readFileSync(join(dir, `${name}.key`), "utf8"),
    };
  } catch {
    return undefined;
  }
}
