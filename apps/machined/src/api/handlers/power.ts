import { toConnectError } from "../api-errors.ts";
import type { Sequencer } from "../sequencer.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

/** Reboot and Shutdown: the sequencer refuses (FailedPrecondition) while another sequence runs. */
export function powerHandlers(sequencer: Sequencer): Pick<MachineServiceImpl, "reboot" | "shutdown"> {
  return {
    reboot: async () => {
      try {
        await sequencer.reboot();
      } catch (error) {
        throw toConnectError(error, "reboot refused");
      }
      return {};
    },
    shutdown: async () => {
      try {
        await sequencer.shutdown();
      } catch (error) {
        throw toConnectError(error, "shutdown refused");
      }
      return {};
    },
  };
}
