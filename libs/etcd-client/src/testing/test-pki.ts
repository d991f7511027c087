// Certificates for a test etcd cluster, made with @bronze/pki: a CA, one certificate every member
// uses as server and as peer (for 127.0.0.1 and localhost), and a client certificate; written to
// files for etcd and etcdctl, and returned as PEM for the client.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CertificateAndKey, generateCA, issueCertificate } from "@bronze/pki";
import type { EtcdTls } from "../connection.ts";

/** Paths of PEM files: a CA certificate, and a certificate with its key. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface TestEtcdPki {
  /** The CA that signed every certificate here (to issue more in a test). */
  ca: CertificateAndKey;
  /** What a client of the cluster passes as `tls`. */
  client: EtcdTls;
  /** The client's files, for etcdctl. */
  clientFiles: TlsFiles;
  /** The members' files: serving clients and peers, and authenticating to peers. */
  memberFiles: TlsFiles;
}

/** A CA and a client certificate signed by it (for a client of a cluster, or one it must refuse). */
export async function testClientTls(commonName = "root", ca?: CertificateAndKey): Promise<EtcdTls> {
  const authority = ca ?? (await generateCA({ commonName: "etcd test CA (other)" }));
  const client = await issueCertificate({ ca: authority, commonName, usage: "client" });
  return { ca: authority.crt, cert: client.crt, key: client.key };
}

export async function generateTestEtcdPki(dir: string): Promise<TestEtcdPki> {
  const ca = await generateCA({ commonName: "etcd test CA" });
  const [member, client] = await Promise.all([
    issueCertificate({
      ca,
      commonName: "etcd-member",
      usage: "both",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    }),
    issueCertificate({ ca, commonName: "root", usage: "client" }),
  ]);
  const write = (name: string, pem: string) => {
    const path = join(dir, name);
    writeFileSync(path, pem, { mode: 0o600 });
    return path;
  };
  const caFile = write("ca.crt", ca.crt);
  return {
    ca,
    client: { ca: ca.crt, cert: client.crt, key: client.key },
    clientFiles: { ca: caFile, cert: write("client.crt", client.crt), key: write("client.key", client.key) },
    memberFiles: { ca: caFile, cert: write("member.crt", member.crt), key: write("member.key", member.key) },
  };
}
