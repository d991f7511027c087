import { unimplemented } from "../api-errors.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

type Pending = "kubeconfig";

/** Methods of the API that later issues implement: they say so (Unimplemented), never fake data. */
export function unimplementedHandlers(): Pick<MachineServiceImpl, Pending> {
  return {
    // biome-ignore lint/correctness/useYield: fails before its first message
    async *kubeconfig() {
      throw unimplemented("Kubeconfig", "the Kubernetes PKI is not managed yet");
    },
  };
}
