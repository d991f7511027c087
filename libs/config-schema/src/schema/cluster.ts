import * as z from "zod";
import {
  base64,
  bootstrapToken,
  certAndKey,
  certSan,
  cidrNetwork,
  dnsName,
  flagArgs,
  imageRef,
  privateKey,
  url,
} from "./fields.ts";

export const CNI_NAMES = ["flannel", "custom", "none"] as const;

export const ClusterNetworkSchema = z.strictObject({
  dnsDomain: dnsName("Cluster DNS domain, e.g. cluster.local.").optional(),
  podSubnets: z
    .array(cidrNetwork("Pod network, e.g. 10.244.0.0/16."))
    .describe("Pod networks: at most one IPv4 and one IPv6.")
    .optional(),
  serviceSubnets: z
    .array(cidrNetwork("Service network, e.g. 10.96.0.0/12."))
    .describe("Service networks: at most one IPv4 and one IPv6.")
    .optional(),
  cni: z
    .strictObject({
      name: z.enum(CNI_NAMES).describe("flannel, custom (manifests from urls) or none."),
      urls: z
        .array(url(["https", "http"], "Manifest URL."))
        .describe("Manifests for a custom CNI.")
        .optional(),
    })
    .optional(),
});

const component = (what: string) =>
  z.strictObject({
    image: imageRef(`${what} image.`).optional(),
    extraArgs: flagArgs(`Extra ${what} flags (name without --: value).`).optional(),
  });

export const ClusterSchema = z.strictObject({
  id: base64("Cluster ID (base64).").optional(),
  secret: base64("Shared cluster secret (base64, at least 32 bytes).", { minBytes: 32 }).optional(),
  clusterName: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/, {
      error: "cluster names are 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit",
    })
    .describe("Cluster name.")
    .optional(),
  controlPlane: z
    .strictObject({
      endpoint: url(["https", "http"], "Kubernetes API endpoint, https://host:port."),
    })
    .optional(),
  network: ClusterNetworkSchema.optional(),
  token: bootstrapToken().optional(),
  secretboxEncryptionSecret: base64("Key encrypting Secrets at rest (base64 of 32 bytes).", {
    bytes: 32,
  }).optional(),
  ca: certAndKey("Kubernetes certificate authority; the key only on control planes.").optional(),
  aggregatorCA: certAndKey("Front-proxy (aggregation layer) CA; the key only on control planes.").optional(),
  serviceAccount: z
    .strictObject({ key: privateKey() })
    .describe("Service account signing key (control planes only).")
    .optional(),
  etcd: z
    .strictObject({
      ca: certAndKey("etcd certificate authority."),
      image: imageRef("etcd image.").optional(),
      extraArgs: flagArgs("Extra etcd flags (name without --: value).").optional(),
    })
    .describe("etcd settings (control planes only).")
    .optional(),
  apiServer: z
    .strictObject({
      image: imageRef("kube-apiserver image.").optional(),
      certSANs: z.array(certSan("Extra subject alternative name.")).optional(),
      extraArgs: flagArgs("Extra kube-apiserver flags (name without --: value).").optional(),
    })
    .optional(),
  controllerManager: component("kube-controller-manager").optional(),
  scheduler: component("kube-scheduler").optional(),
  allowSchedulingOnControlPlanes: z
    .boolean()
    .describe("Allow ordinary workloads on control-plane nodes.")
    .optional(),
});
