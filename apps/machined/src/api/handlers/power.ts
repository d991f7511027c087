import { Code, ConnectError } from "@connectrpc/connect";
import { toConnectError } from "../api-errors.ts";
import type { Sequencer } from "../sequencer.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

/**
 * Reboot and Shutdown: the sequencer refuses (FailedPrecondition) while another sequence runs, and so
 * do they while an install writes the disk (it reboots the node itself when it is done).
 */
export function powerHandlers(
  sequencer: Sequencer,
  installing: () => boolean = () => false,
): Pick<MachineServiceImpl, "reboot" | "shutdown"> {
  const notInstalling = (what: string) => {
    if (installing()) {
      throw new ConnectError(
        `${what} refused: an install is writing the disk; the node reboots into it when it is done`,
        Code.FailedPrecondition,
      );
    }
  };
  return {
    reboot: async () => {
      notInstalling("reboot");
      try {
        await sequencer.reboot();
      } catch (error) {
        throw toConnectError(error, "reboot refused");
      }
      return {};
    },
    shutdown: async () => {
      notInstalling("shutdown");
      try {
        await sequencer.shutdown();
      } catch (error) {
        throw toConnectError(error, "shutdown refused");
      }
      return {};
    },
  };
}
