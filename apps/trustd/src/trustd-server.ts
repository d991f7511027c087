import { statSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import { closeGracefully, listen, SecurityService, trackSessions } from "@bronze/api";
import { createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createCertificateService, PEER_ADDRESS_KEY } from "./certificate-service.ts";
import { TrustdError } from "./trustd-error.ts";
import { readToken, readTrustdPki, TRUSTD_PKI_FILES, type TrustdPki } from "./trustd-files.ts";

export interface TrustdOptions {
  readonly host: string;
  /** 0 for any free port (tests). */
  readonly port: number;
  readonly pkiDir: string;
  readonly tokenFile: string;
  /** Names any node may claim besides its own address. */
  readonly extraSans?: readonly string[];
  /** How often the files are checked for changes (default 5 s): renewed certificates, a new token. */
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
  readonly onInternalError?: (error: unknown) => void;
}

export interface Trustd {
  readonly port: number;
  close(): Promise<void>;
}

function stamp(paths: string[]): string {
  return paths
    .map((path) => {
      try {
        const st = statSync(path);
        return `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return "-";
      }
    })
    .join("|");
}

/** trustd: SecurityService over HTTP/2 + TLS (the node's server certificate, no client certificates). */
export async function startTrustd(options: TrustdOptions): Promise<Trustd> {
  const log = options.log ?? (() => {});
  let pki: TrustdPki = readTrustdPki(options.pkiDir);
  let token = readToken(options.tokenFile);

  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(
        SecurityService,
        createCertificateService({ ca: () => pki.ca, token: () => token, extraSans: options.extraSans }),
      ),
    contextValues: (req) => {
      const values = createContextValues();
      values.set(PEER_ADDRESS_KEY, req.socket?.remoteAddress);
      return values;
    },
  });
  const server = http2.createSecureServer(
    { cert: pki.server.crt, key: pki.server.key, allowHTTP1: true },
    handler,
  );
  // A client going away mid-session (GOAWAY/RST with CANCEL, a reset socket) is not trustd's error.
  const sessions = trackSessions(server, () => {});
  server.on("tlsClientError", () => {});
  await listen(
    server,
    { port: options.port, host: options.host },
    (error) =>
      new TrustdError("Listen", `cannot listen on ${options.host}:${options.port}: ${error.message}`, {
        cause: error,
      }),
  );
  server.on("error", (error) => options.onInternalError?.(error));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;

  const watched = [
    ...Object.values(TRUSTD_PKI_FILES).map((name) => join(options.pkiDir, name)),
    options.tokenFile,
  ];
  let last = stamp(watched);
  const poll = setInterval(() => {
    const now = stamp(watched);
    if (now === last) return;
    last = now;
    try {
      const next = readTrustdPki(options.pkiDir);
      const nextToken = readToken(options.tokenFile);
      if (next.server.crt !== pki.server.crt || next.server.key !== pki.server.key) {
        server.setSecureContext({ cert: next.server.crt, key: next.server.key });
      }
      pki = next;
      token = nextToken;
      log("trustd: certificates and token reloaded");
    } catch (error) {
      log(`trustd: keeping the current certificates and token: ${(error as Error).message}`);
    }
  }, options.pollMs ?? 5000);
  poll.unref?.();

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= (async () => {
        clearInterval(poll);
        await closeGracefully(server, sessions, 2000);
      })();
      return closing;
    },
  };
}
