import { unimplemented } from "../api-errors.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

type Pending = "bootstrap" | "etcdMembers" | "etcdSnapshot" | "kubeconfig";

/** Methods of the API that later issues implement: they say so (Unimplemented), never fake data. */
export function unimplementedHandlers(): Pick<MachineServiceImpl, Pending> {
  return {
    bootstrap: () => {
      throw unimplemented("Bootstrap", "etcd is not managed yet");
    },
    etcdMembers: () => {
      throw unimplemented("EtcdMembers", "etcd is not managed yet");
    },
    // biome-ignore lint/correctness/useYield: fails before its first message
    async *etcdSnapshot() {
      throw unimplemented("EtcdSnapshot", "etcd is not managed yet");
    },
    // biome-ignore lint/correctness/useYield: fails before its first message
    async *kubeconfig() {
      throw unimplemented("Kubeconfig", "the Kubernetes PKI is not managed yet");
    },
  };
}
