// etcd's certificates on a control plane, issued by machined from the etcd CA in the machine config
// (cluster.etcd.ca), as Talos issues them: a server certificate for the client port (2379), a peer
// certificate for the peer port (2380) that the other members verify as server and as client, and a
// client certificate machined (and `osctl etcd …` through it) uses. Renewed like the node's (pki.ts).
import { issueCertificate, readCertificateFacts } from "@bronze/pki";
import { type NodeIdentity, nodeSubjectAltNames } from "../certificates/node-sans.ts";
import { CERT_MODE, KEY_MODE, type SecretFile } from "../certificates/secret-files.ts";

/** One year, as the node's own certificates. */
export const ETCD_CERTIFICATE_DAYS = 365;

/** Where the etcd container finds its files (the secrets directory is mounted there read-only). */
export const ETCD_PKI_DIR = "/system/secrets/etcd";

export interface EtcdCertificates {
  /** ca.crt, server.crt/key, peer.crt/key: the etcd container's --cert-file … --peer-trusted-ca-file. */
  readonly etcd: readonly SecretFile[];
  /** machined's own client certificate for the etcd API (CN=machined@<hostname>). */
  readonly client: { readonly ca: string; readonly crt: string; readonly key: string };
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface EtcdIssueOptions {
  /** The etcd CA, PEM (cluster.etcd.ca decoded). */
  readonly ca: { readonly crt: string; readonly key: string };
  readonly identity: NodeIdentity;
  readonly now?: Date;
  readonly validityDays?: number;
}

/**
 * The certificates of a control plane's etcd. Both leaf certificates carry serverAuth and clientAuth
 * (etcd dials its peers with the peer certificate and, for its gRPC gateway, itself with the server
 * one) and the node's names: hostname, localhost, loopback and its addresses (machine.certSANs too, so
 * a client may reach etcd by the name it reaches the node by).
 */
export async function issueEtcdCertificates(options: EtcdIssueOptions): Promise<EtcdCertificates> {
  const sans = nodeSubjectAltNames(options.identity);
  const common = {
    ca: options.ca,
    validityDays: options.validityDays ?? ETCD_CERTIFICATE_DAYS,
    ...(options.now !== undefined ? { now: options.now } : {}),
  };
  const hostname = options.identity.hostname;
  const [server, peer, client] = await Promise.all([
    issueCertificate({ ...common, commonName: hostname, usage: "both", ...sans }),
    issueCertificate({ ...common, commonName: hostname, usage: "both", ...sans }),
    issueCertificate({ ...common, commonName: `machined@${hostname}`, usage: "client" }),
  ]);
  const info = readCertificateFacts(server.crt);
  const cert = (name: string, data: string): SecretFile => ({ name, data, mode: CERT_MODE });
  const key = (name: string, data: string): SecretFile => ({ name, data, mode: KEY_MODE });
  return {
    etcd: [
      cert("ca.crt", options.ca.crt),
      cert("server.crt", server.crt),
      key("server.key", server.key),
      cert("peer.crt", peer.crt),
      key("peer.key", peer.key),
    ],
    client: { ca: options.ca.crt, crt: client.crt, key: client.key },
    notBefore: info.notBefore,
    notAfter: info.notAfter,
  };
}

/** etcd's TLS flags for the files of issueEtcdCertificates mounted at `dir`. */
export function etcdTlsArgs(dir: string = ETCD_PKI_DIR): string[] {
  return [
    `--trusted-ca-file=${dir}/ca.crt`,
    `--cert-file=${dir}/server.crt`,
    `--key-file=${dir}/server.key`,
    "--client-cert-auth=true",
    `--peer-trusted-ca-file=${dir}/ca.crt`,
    `--peer-cert-file=${dir}/peer.crt`,
    `--peer-key-file=${dir}/peer.key`,
    "--peer-client-cert-auth=true",
  ];
}
