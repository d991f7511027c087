// One Connect+JSON unary call to a node's apid in maintenance mode, as `curl -k` would make it but
// pinned: the TLS handshake completes, the server certificate's SHA-256 fingerprint must be the one
// the node's console showed, and only then is the request sent on that very socket (HTTP/2).
import http2 from "node:http2";
import tls from "node:tls";

export class PinnedCallError extends Error {
  override readonly name = "PinnedCallError";
  constructor(
    readonly code: "Mismatch" | "Connect" | "Timeout",
    message: string,
  ) {
    super(message);
  }
}

export interface PinnedCallResult {
  /** The HTTP status: 200, or the Connect error's (403 for permission_denied, ...). */
  status: number;
  /** The JSON body: the response message, or `{code, message}` for an error. */
  body: Record<string, unknown>;
}

const normalize = (fingerprint: string) =>
  fingerprint
    .replace(/^sha256:/i, "")
    .replace(/:/g, "")
    .toLowerCase();

/** Calls `/<service>/<method>` (e.g. `bronze.machine.v1.MachineService/Version`) with a JSON body. */
export async function pinnedConnectCall(
  endpoint: { host: string; port: number },
  fingerprint: string,
  procedure: string,
  request: Record<string, unknown> = {},
  timeoutMs = 30_000,
): Promise<PinnedCallResult> {
  const socket = tls.connect({
    host: endpoint.host,
    port: endpoint.port,
    rejectUnauthorized: false,
    ALPNProtocols: ["h2"],
  });
  const where = `${endpoint.host}:${endpoint.port}`;
  const timer = setTimeout(
    () => socket.destroy(new PinnedCallError("Timeout", `${where}: no answer within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", (error) =>
        reject(
          error instanceof PinnedCallError
            ? error
            : new PinnedCallError("Connect", `${where}: ${error.message}`),
        ),
      );
    });
    const served = normalize(socket.getPeerCertificate().fingerprint256 ?? "");
    if (served !== normalize(fingerprint))
      throw new PinnedCallError(
        "Mismatch",
        `${where}: the server's certificate has fingerprint ${served}, not ${normalize(fingerprint)}; nothing was sent`,
      );
    const session = http2.connect(`https://${where}`, { createConnection: () => socket });
    try {
      return await new Promise<PinnedCallResult>((resolve, reject) => {
        session.once("error", (error) =>
          reject(new PinnedCallError("Connect", `${where}: ${error.message}`)),
        );
        const stream = session.request({
          ":method": "POST",
          ":path": `/${procedure}`,
          "content-type": "application/json",
        });
        let status = 0;
        let text = "";
        stream.setEncoding("utf8");
        stream.on("response", (headers) => {
          status = Number(headers[":status"]);
        });
        stream.on("data", (chunk: string) => {
          text += chunk;
        });
        stream.on("end", () => {
          try {
            resolve({ status, body: JSON.parse(text) });
          } catch {
            reject(
              new PinnedCallError(
                "Connect",
                `${where}: ${procedure} answered ${status} with non-JSON ${text.slice(0, 200)}`,
              ),
            );
          }
        });
        stream.on("error", (error) => reject(new PinnedCallError("Connect", `${where}: ${error.message}`)));
        stream.end(JSON.stringify(request));
      });
    } finally {
      session.close();
    }
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
