// What went wrong with the connection to apid, found out only after a call failed before any answer
// arrived (HTTP/2 clients report a refused client certificate as "stream closed"): one diagnostic
// TLS handshake with the call's own CA, client certificate, key and server name, its outcome
// classified. apid (Bun's TLS server) refuses a bad client certificate by closing the connection
// right after a TLS 1.3 handshake, without an alert; servers that send one (OpenSSL, Go) name
// the problem (certificate_expired, unknown_ca, ...). In both cases the client certificate is
// also checked here against the context's CA, so that the message says which of its faults it is.
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import tls from "node:tls";
import { checkServerIdentity } from "@bronze/api";
import { formatDuration, UNTRUSTED } from "./node-error.ts";

export interface TlsTarget {
  host: string;
  port: number;
  /** PEM: the CA the server certificate must be signed by (the context's). */
  ca: string;
  /** PEM: the client certificate and its key, if the calls present one. */
  cert?: string;
  key?: string;
}

export type TlsDiagnosis =
  /** The handshake completed and the server spoke HTTP/2 (or kept the connection open): TLS is fine. */
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Where it failed: reaching the port, or the TLS handshake (including a refusal right after it). */
      readonly stage: "connect" | "handshake";
      /** ECONNREFUSED, a TLS alert name (certificate_expired), a verification code (CERT_HAS_EXPIRED), CLOSED_AFTER_HANDSHAKE, ... */
      readonly code: string;
      /** What went wrong, in words. */
      readonly problem: string;
    };

/** How long the diagnosis waits for the server at most. */
export const DEFAULT_DIAGNOSIS_TIMEOUT_MS = 5000;

/** The HTTP/2 client connection preface and an empty SETTINGS frame: an h2 server answers with its own. */
const H2_PREFACE = Buffer.concat([
  Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

const CONNECT_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: "connection refused (is apid running there?)",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name does not resolve (temporary DNS failure)",
};

/** TLS alerts that mean the server refused the client certificate. */
const CLIENT_CERTIFICATE_ALERTS = new Set([
  "bad_certificate",
  "unsupported_certificate",
  "certificate_revoked",
  "certificate_expired",
  "certificate_unknown",
  "unknown_ca",
  "access_denied",
]);

const ALERT_HINTS: Record<string, string> = {
  unknown_ca: "not signed by a CA it trusts",
  certificate_expired: "expired or not yet valid",
  unsupported_certificate: "not usable for client authentication",
};

/** The TLS alert an error reports having received (`ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED` → certificate_expired). */
export function alertOf(error: { code?: unknown; message?: unknown }): string | undefined {
  const text = `${typeof error.code === "string" ? error.code : ""} ${String(error.message ?? "")}`;
  const match =
    /(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)/.exec(text) ?? /alert ([a-z][a-z ]+[a-z])/i.exec(text);
  return match?.[1]?.toLowerCase().replace(/ /g, "_");
}

const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * What is wrong with a client certificate as apid would judge it (signed by the context's CA, within
 * its validity, with the clientAuth usage), or undefined if nothing is.
 */
export function clientCertificateFault(cert: string, ca: string, now: Date = new Date()): string | undefined {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    return "the client certificate cannot be read";
  }
  if (now > leaf.validToDate) return `the client certificate expired at ${iso(leaf.validToDate)}`;
  if (now < leaf.validFromDate)
    return `the client certificate is not valid before ${iso(leaf.validFromDate)}`;
  const authorities = (
    ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  ).flatMap((pem) => {
    try {
      return [new X509Certificate(pem)];
    } catch {
      return [];
    }
  });
  if (!authorities.some((authority) => leaf.checkIssued(authority) && leaf.verify(authority.publicKey)))
    return `the client certificate is not signed by the context's CA (its issuer is ${leaf.issuer.split("\n").join(", ")})`;
  const usages = leaf.keyUsage;
  if (Array.isArray(usages) && usages.length > 0 && !usages.includes("1.3.6.1.5.5.7.3.2"))
    return "the client certificate lacks the clientAuth usage (is it a server certificate?)";
  return undefined;
}

function refusal(code: string, target: TlsTarget, now: Date, what: string): TlsDiagnosis & { ok: false } {
  const fault = target.cert === undefined ? undefined : clientCertificateFault(target.cert, target.ca, now);
  return { ok: false, stage: "handshake", code, problem: fault ? `${what}: ${fault}` : what };
}

/** The diagnosis of a handshake that ended in `error` (`secured`: after our side had completed it). */
function classify(
  error: { code?: unknown; message?: unknown; reason?: unknown },
  secured: boolean,
  target: TlsTarget,
  altNames: string | undefined,
  now: Date,
): TlsDiagnosis & { ok: false } {
  const code = typeof error.code === "string" ? error.code : "";
  const connectProblem = CONNECT_PROBLEMS[code];
  if (connectProblem && !secured) return { ok: false, stage: "connect", code, problem: connectProblem };
  if (UNTRUSTED.has(code))
    return {
      ok: false,
      stage: "handshake",
      code,
      problem: `the server's certificate is not signed by the context's CA (${code})`,
    };
  if (code === "CERT_HAS_EXPIRED")
    return { ok: false, stage: "handshake", code, problem: "the server's certificate has expired" };
  if (code === "CERT_NOT_YET_VALID")
    return {
      ok: false,
      stage: "handshake",
      code,
      problem: "the server's certificate is not valid yet (are the clocks right?)",
    };
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return {
      ok: false,
      stage: "handshake",
      code,
      problem: `the server's certificate does not name ${target.host}${altNames ? ` (it names ${altNames})` : ""}`,
    };
  const alert = alertOf(error);
  if (alert === "certificate_required")
    return {
      ok: false,
      stage: "handshake",
      code: alert,
      problem:
        target.cert === undefined
          ? "apid requires a client certificate and the context has none"
          : "apid requires a client certificate and did not get one (certificate_required)",
    };
  if (alert && CLIENT_CERTIFICATE_ALERTS.has(alert)) {
    const hint = ALERT_HINTS[alert];
    return refusal(
      alert,
      target,
      now,
      `apid rejected the client certificate (${alert}${hint ? `: ${hint}` : ""})`,
    );
  }
  if (alert === "decrypt_error")
    return refusal(
      alert,
      target,
      now,
      "apid could not verify the handshake signature (decrypt_error: does the key belong to the certificate?)",
    );
  if (alert) return refusal(alert, target, now, `apid ended the handshake with the alert ${alert}`);
  if (code === "ECONNRESET" || code === "EPIPE" || code === "")
    return secured
      ? refusal(
          "CLOSED_AFTER_HANDSHAKE",
          target,
          now,
          "apid closed the connection right after the handshake: it rejected the client certificate",
        )
      : refusal(
          code || "ECONNRESET",
          target,
          now,
          "the connection was closed during the handshake (is that apid's port?)",
        );
  return { ok: false, stage: "handshake", code, problem: String(error.message ?? code) };
}

/**
 * One TLS handshake with `target` as a failed call made it (ALPN h2, the same CA, client certificate
 * and server name), and what its outcome says. Never throws.
 */
export function diagnoseTls(
  target: TlsTarget,
  options: { timeoutMs?: number; now?: () => Date } = {},
): Promise<TlsDiagnosis> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DIAGNOSIS_TIMEOUT_MS;
  const now = options.now ?? (() => new Date());
  let altNames: string | undefined;
  return new Promise((resolve) => {
    let tcp = false;
    let secured = false;
    let settled = false;
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      // As http2.connect does: the host as the server name, never an IP address as SNI.
      servername: isIP(target.host) ? undefined : target.host,
      ca: target.ca,
      cert: target.cert,
      key: target.key,
      ALPNProtocols: ["h2"],
      checkServerIdentity: (host, cert) => {
        altNames = cert.subjectaltname;
        return checkServerIdentity(host, cert);
      },
    });
    const finish = (diagnosis: TlsDiagnosis) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(diagnosis);
    };
    const timer = setTimeout(() => {
      if (secured) finish({ ok: true });
      else if (tcp)
        finish({
          ok: false,
          stage: "handshake",
          code: "HANDSHAKE_TIMEOUT",
          problem: `the port accepted the connection but no TLS handshake completed within ${formatDuration(timeoutMs)} (is apid running there?)`,
        });
      else finish({ ok: false, stage: "connect", code: "ETIMEDOUT", problem: "connection timed out" });
    }, timeoutMs);
    socket.once("connect", () => {
      tcp = true;
    });
    socket.once("secureConnect", () => {
      secured = true;
      // TLS 1.3: the server judges our certificate only now. An h2 server that accepts it answers
      // the preface with its SETTINGS; one that refuses closes the connection, or sends an alert.
      // A server that does neither within the time left counts as having accepted it.
      socket.write(H2_PREFACE);
    });
    socket.on("data", () => finish({ ok: true }));
    socket.on("error", (error) => finish(classify(error, secured, target, altNames, now())));
    socket.once("end", () => finish(classify({}, secured, target, altNames, now())));
    socket.once("close", () => finish(classify({}, secured, target, altNames, now())));
  });
}

/** The one line for a diagnosis at `endpoint`, or undefined when the connection is fine. */
export function describeDiagnosis(diagnosis: TlsDiagnosis, endpoint: string): string | undefined {
  if (diagnosis.ok) return undefined;
  return diagnosis.stage === "connect"
    ? `cannot connect to ${endpoint}: ${diagnosis.problem}`
    : `TLS handshake with ${endpoint} failed: ${diagnosis.problem}`;
}

/**
 * The `diagnose` of a session: a diagnosis of `target`, described for `endpoint`. Calls failing at
 * the same time (one per node) share one handshake; a later failure gets a fresh one.
 */
export function endpointDiagnoser(
  endpoint: string,
  target: TlsTarget,
  timeoutMs = DEFAULT_DIAGNOSIS_TIMEOUT_MS,
): () => Promise<string | undefined> {
  let inFlight: Promise<string | undefined> | undefined;
  return () => {
    inFlight ??= diagnoseTls(target, { timeoutMs })
      .then((diagnosis) => describeDiagnosis(diagnosis, endpoint))
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
