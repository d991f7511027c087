// Builds the control-plane and worker machine configs (v1alpha1 documents, as plain data) from a
// secrets bundle. Workers get certificates only, never CA keys or control-plane-only settings.
import type { MachineConfig } from "@bronze/config-schema";
import { encodePemBase64, type SecretsBundle } from "@bronze/pki";
import {
  DEFAULT_CNI,
  DEFAULT_DNS_DOMAIN,
  DEFAULT_POD_SUBNETS,
  DEFAULT_SERVICE_SUBNETS,
  ETCD_IMAGE,
  INSTALLER_IMAGE,
  kubernetesImages,
} from "./defaults.ts";

export interface GenerateInput {
  clusterName: string;
  /** The Kubernetes API endpoint, an https URL. */
  endpoint: string;
  secrets: SecretsBundle;
  installDisk: string;
  additionalSans: string[];
  kubernetesVersion: string;
}

/** Typed as the schema's output, so the compiler checks every field the generator writes. */
export interface GeneratedConfigs {
  controlplane: MachineConfig;
  worker: MachineConfig;
}

const b64 = encodePemBase64;

export function generateMachineConfigs(input: GenerateInput): GeneratedConfigs {
  const { secrets } = input;
  const images = kubernetesImages(input.kubernetesVersion);
  const endpointHost = new URL(input.endpoint).hostname.replace(/^\[|\]$/g, "");
  const sans = [...new Set([endpointHost, ...input.additionalSans])];

  const machineCommon = {
    token: secrets.trustdinfo.token,
    kubelet: { image: images.kubelet },
    network: {},
    install: { disk: input.installDisk, image: INSTALLER_IMAGE, wipe: false },
  };
  const clusterCommon = {
    id: secrets.cluster.id,
    secret: secrets.cluster.secret,
    controlPlane: { endpoint: input.endpoint },
    clusterName: input.clusterName,
    network: {
      dnsDomain: DEFAULT_DNS_DOMAIN,
      podSubnets: DEFAULT_POD_SUBNETS,
      serviceSubnets: DEFAULT_SERVICE_SUBNETS,
      cni: { name: DEFAULT_CNI },
    },
    token: secrets.secrets.bootstraptoken,
  };

  const controlplane: MachineConfig = {
    version: "v1alpha1",
    machine: {
      type: "controlplane",
      ...machineCommon,
      ca: { crt: b64(secrets.certs.os.crt), key: b64(secrets.certs.os.key) },
      certSANs: sans,
    },
    cluster: {
      ...clusterCommon,
      secretboxEncryptionSecret: secrets.secrets.secretboxencryptionsecret,
      ca: { crt: b64(secrets.certs.k8s.crt), key: b64(secrets.certs.k8s.key) },
      aggregatorCA: { crt: b64(secrets.certs.k8saggregator.crt), key: b64(secrets.certs.k8saggregator.key) },
      serviceAccount: { key: b64(secrets.certs.k8sserviceaccount.key) },
      apiServer: { image: images.apiServer, certSANs: sans },
      controllerManager: { image: images.controllerManager },
      scheduler: { image: images.scheduler },
      etcd: { ca: { crt: b64(secrets.certs.etcd.crt), key: b64(secrets.certs.etcd.key) }, image: ETCD_IMAGE },
    },
  };

  const worker: MachineConfig = {
    version: "v1alpha1",
    machine: {
      type: "worker",
      ...machineCommon,
      ca: { crt: b64(secrets.certs.os.crt) },
      certSANs: [],
    },
    cluster: { ...clusterCommon, ca: { crt: b64(secrets.certs.k8s.crt) } },
  };

  return { controlplane, worker };
}
