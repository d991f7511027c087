import { Code, ConnectError } from "@connectrpc/connect";
import { SlotChangeError, type SlotChanger } from "../../lifecycle/slot-change.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

/** What Upgrade and Rollback need (lifecycle/slot-change.ts); absent in container mode. */
export type SlotChanges = Pick<SlotChanger, "upgrade" | "rollback" | "describe">;

function toConnect(err: unknown): ConnectError {
  if (err instanceof SlotChangeError) return new ConnectError(err.message, Code[err.code]);
  return ConnectError.from(err, Code.Internal);
}

const noSlots = (what: string) =>
  new ConnectError(
    `${what} refused: this node has no boot slots (container mode runs the host's build)`,
    Code.FailedPrecondition,
  );

/** Upgrade and Rollback (docs/design.md, "Upgrades"). */
export function lifecycleHandlers(
  slots: SlotChanges | undefined,
  installing: () => boolean = () => false,
): Pick<MachineServiceImpl, "upgrade" | "rollback"> {
  return {
    upgrade: async (req, ctx) => {
      if (slots === undefined) throw noSlots("upgrade");
      if (installing())
        throw new ConnectError("upgrade refused: an install is writing the disk", Code.FailedPrecondition);
      try {
        const result = await slots.upgrade({ image: req.image, stage: req.stage, signal: ctx.signal });
        return {
          ack: req.stage
            ? `slot ${result.slot} holds ${result.version}: it boots at the next reboot`
            : `slot ${result.slot} holds ${result.version}: rebooting into it`,
          version: result.version,
          slot: result.slot,
        };
      } catch (err) {
        throw toConnect(err);
      }
    },
    rollback: async () => {
      if (slots === undefined) throw noSlots("rollback");
      try {
        return await slots.rollback();
      } catch (err) {
        throw toConnect(err);
      }
    },
  };
}
