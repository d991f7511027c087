// Defaults written into generated machine configs. Kept in one place so a release bumps them once.
import { BRONZE_VERSION, BUILTIN_ETCD_IMAGE } from "@bronze/api";

export const KUBERNETES_VERSION = "v1.31.4";
export const DEFAULT_INSTALL_DISK = "/dev/sda";
export const DEFAULT_POD_SUBNETS = ["10.244.0.0/16"];
export const DEFAULT_SERVICE_SUBNETS = ["10.96.0.0/12"];
export const DEFAULT_DNS_DOMAIN = "cluster.local";
export const DEFAULT_CNI = "flannel" as const;

/** The etcd in the root filesystem (Debian's etcd-server), which control planes run. */
export const ETCD_IMAGE = BUILTIN_ETCD_IMAGE;
export const INSTALLER_IMAGE = `localhost/bronze/installer:v${BRONZE_VERSION}`;

export function kubernetesImages(version: string) {
  return {
    kubelet: `ghcr.io/siderolabs/kubelet:${version}`,
    apiServer: `registry.k8s.io/kube-apiserver:${version}`,
    controllerManager: `registry.k8s.io/kube-controller-manager:${version}`,
    scheduler: `registry.k8s.io/kube-scheduler:${version}`,
  };
}
