import { stringify } from "yaml";
import { type CertificateAndKey, generateCA } from "./certificate-authority.ts";
import { generateKeyPair, type KeyAlgorithm } from "./key-pair.ts";
import { encodePemBase64 } from "./pem.ts";
import { PkiError } from "./pki-error.ts";
import { generateBootstrapToken, generateRandomSecret } from "./tokens.ts";

/** The cluster's secrets (Talos `secrets.yaml` shape and names). PEM strings in memory. */
export interface SecretsBundle {
  cluster: { id: string; secret: string };
  secrets: { bootstraptoken: string; secretboxencryptionsecret: string };
  trustdinfo: { token: string };
  certs: {
    etcd: CertificateAndKey;
    k8s: CertificateAndKey;
    k8saggregator: CertificateAndKey;
    k8sserviceaccount: { key: string };
    os: CertificateAndKey;
  };
}

/** Subject CNs of the bundle's CAs. */
export const BUNDLE_CA_NAMES = {
  etcd: "etcd-ca",
  k8s: "kubernetes",
  k8saggregator: "front-proxy-ca",
  os: "bronze",
} as const;

export interface GenerateSecretsBundleOptions {
  now?: Date;
  /** Algorithm of the four CAs (default ECDSA P-256). The service-account key is always ECDSA P-256. */
  algorithm?: KeyAlgorithm;
}

/** New CAs (etcd, kubernetes, aggregator, OS), service-account key, tokens and cluster secrets. */
export async function generateSecretsBundle(
  options: GenerateSecretsBundleOptions = {},
): Promise<SecretsBundle> {
  const ca = (commonName: string) =>
    generateCA({ commonName, algorithm: options.algorithm, now: options.now });
  const [etcd, k8s, k8saggregator, os, serviceAccount] = await Promise.all([
    ca(BUNDLE_CA_NAMES.etcd),
    ca(BUNDLE_CA_NAMES.k8s),
    ca(BUNDLE_CA_NAMES.k8saggregator),
    ca(BUNDLE_CA_NAMES.os),
    // kube-apiserver signs service-account tokens with RSA or ECDSA only.
    generateKeyPair("ecdsa-p256"),
  ]);
  return {
    cluster: { id: generateRandomSecret(32), secret: generateRandomSecret(32) },
    secrets: {
      bootstraptoken: generateBootstrapToken(),
      secretboxencryptionsecret: generateRandomSecret(32),
    },
    trustdinfo: { token: generateBootstrapToken() },
    certs: { etcd, k8s, k8saggregator, k8sserviceaccount: { key: serviceAccount.privateKeyPem }, os },
  };
}

function field(bundle: unknown, path: string): string {
  let value: unknown = bundle;
  for (const segment of path.split(".")) {
    value =
      typeof value === "object" && value !== null ? (value as Record<string, unknown>)[segment] : undefined;
  }
  if (typeof value !== "string" || value === "") {
    throw new PkiError("invalid-argument", `secrets bundle: ${path} must be a non-empty string`);
  }
  return value;
}

/** YAML in Talos' `secrets.yaml` layout; certificates and keys are base64 of their PEM, as in Talos. */
export function stringifySecretsBundle(bundle: SecretsBundle): string {
  const pair = (name: string) => ({
    crt: encodePemBase64(field(bundle, `certs.${name}.crt`)),
    key: encodePemBase64(field(bundle, `certs.${name}.key`)),
  });
  const document = {
    cluster: { id: field(bundle, "cluster.id"), secret: field(bundle, "cluster.secret") },
    secrets: {
      bootstraptoken: field(bundle, "secrets.bootstraptoken"),
      secretboxencryptionsecret: field(bundle, "secrets.secretboxencryptionsecret"),
    },
    trustdinfo: { token: field(bundle, "trustdinfo.token") },
    certs: {
      etcd: pair("etcd"),
      k8s: pair("k8s"),
      k8saggregator: pair("k8saggregator"),
      k8sserviceaccount: { key: encodePemBase64(field(bundle, "certs.k8sserviceaccount.key")) },
      os: pair("os"),
    },
  };
  return stringify(document, { lineWidth: 0 });
}
