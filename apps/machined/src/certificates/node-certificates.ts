import { issueCertificate, issueClientCertificate, readCertificateFacts } from "@bronze/pki";
import { type NodeIdentity, nodeSubjectAltNames } from "./node-sans.ts";
import { CERT_MODE, KEY_MODE, type SecretFile } from "./secret-files.ts";

/** One year, as Talos issues apid's certificate. */
export const NODE_CERTIFICATE_DAYS = 365;

/** The files of apid's and trustd's secrets directories, and when they must be renewed. */
export interface NodeCertificates {
  /** ca.crt, server.crt, server.key [, impersonator.crt, impersonator.key] (apid's --pki-dir). */
  readonly apid: readonly SecretFile[];
  /** ca.crt, ca.key, server.crt, server.key, token (trustd's --pki-dir and --token-file): control planes. */
  readonly trustd?: readonly SecretFile[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface ControlPlaneIssueOptions {
  /** The OS CA, PEM (machine.ca decoded). */
  readonly ca: { readonly crt: string; readonly key: string };
  readonly identity: NodeIdentity;
  /** machine.token: what joining nodes present to trustd. */
  readonly token: string;
  readonly now?: Date;
  readonly validityDays?: number;
}

const cert = (name: string, data: string): SecretFile => ({ name, data, mode: CERT_MODE });
const key = (name: string, data: string): SecretFile => ({ name, data, mode: KEY_MODE });

/**
 * A control plane's certificates, signed with the OS CA it holds: apid's server certificate
 * (serverAuth; the hostname, loopback names, the node's addresses and machine.certSANs), the
 * impersonator client certificate (O=os:impersonator) apid forwards with, and trustd's files (the CA,
 * the same server certificate, the token).
 */
export async function issueControlPlaneCertificates(
  options: ControlPlaneIssueOptions,
): Promise<NodeCertificates> {
  const sans = nodeSubjectAltNames(options.identity);
  const validityDays = options.validityDays ?? NODE_CERTIFICATE_DAYS;
  const [server, impersonator] = await Promise.all([
    issueCertificate({
      ca: options.ca,
      commonName: options.identity.hostname,
      usage: "server",
      dnsNames: sans.dnsNames,
      ipAddresses: sans.ipAddresses,
      validityDays,
      ...(options.now !== undefined ? { now: options.now } : {}),
    }),
    issueClientCertificate(options.ca, {
      role: "os:impersonator",
      commonName: `apid@${options.identity.hostname}`,
      validityDays,
      ...(options.now !== undefined ? { now: options.now } : {}),
    }),
  ]);
  const info = readCertificateFacts(server.crt);
  return {
    apid: [
      cert("ca.crt", options.ca.crt),
      cert("server.crt", server.crt),
      key("server.key", server.key),
      cert("impersonator.crt", impersonator.crt),
      key("impersonator.key", impersonator.key),
    ],
    trustd: [
      cert("ca.crt", options.ca.crt),
      key("ca.key", options.ca.key),
      cert("server.crt", server.crt),
      key("server.key", server.key),
      key("token", options.token),
    ],
    notBefore: info.notBefore,
    notAfter: info.notAfter,
  };
}

/** apid's files on a worker: the certificate trustd signed, and the CA trustd answered with. */
export function workerCertificates(signed: { ca: string; crt: string; key: string }): NodeCertificates {
  const info = readCertificateFacts(signed.crt, "the certificate trustd signed");
  return {
    apid: [cert("ca.crt", signed.ca), cert("server.crt", signed.crt), key("server.key", signed.key)],
    notBefore: info.notBefore,
    notAfter: info.notAfter,
  };
}

/** When to renew: at 2/3 of the certificate's lifetime (at once when that is past). */
export function renewalDelayMs(
  certificates: Pick<NodeCertificates, "notBefore" | "notAfter">,
  nowMs: number,
): number {
  const start = certificates.notBefore.getTime();
  const at = start + ((certificates.notAfter.getTime() - start) * 2) / 3;
  return Math.max(0, at - nowMs);
}
