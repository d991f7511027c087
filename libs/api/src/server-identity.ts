// The server identity check of every Bronze TLS client (osctl, apid forwarding to another node,
// machined asking trustd): the host must be one of the certificate's subject alternative names.
import { type PeerCertificate, checkServerIdentity as tlsCheckServerIdentity } from "node:tls";

/**
 * Node's and Bun's own check fall back to the subject's CN for a DNS host when the certificate has no
 * DNS SAN, even when it has IP SANs: a certificate anyone holding the machine token could have had
 * signed with any CN would then pass for any name. This one never looks at the CN: the host (a DNS
 * name or an IP address) must be among the DNS or IP SANs (wildcards as the platform matches them).
 * Pass it as `checkServerIdentity` in TLS and HTTP/2 client options. The error carries Node's
 * `ERR_TLS_CERT_ALTNAME_INVALID` code.
 */
export function checkServerIdentity(host: string, cert: PeerCertificate): Error | undefined {
  const withoutCommonName = {
    ...cert,
    subject: { ...cert.subject, CN: undefined },
  } as unknown as PeerCertificate;
  if (tlsCheckServerIdentity(host, withoutCommonName) === undefined) return undefined;
  const names = cert.subjectaltname ? cert.subjectaltname : "none";
  const error = new Error(
    `the server certificate does not name ${host} among its subject alternative names (it names: ${names}); its common name is never accepted`,
  ) as Error & { code: string; host: string };
  error.code = "ERR_TLS_CERT_ALTNAME_INVALID";
  error.host = host;
  return error;
}
