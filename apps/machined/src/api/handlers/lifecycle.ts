import { Code, ConnectError } from "@connectrpc/connect";
import { ResetError, type ResetRequestInput } from "../../lifecycle/reset.ts";
import { SlotChangeError, type SlotChanger } from "../../lifecycle/slot-change.ts";
import { WipeDiskError } from "../../lifecycle/wipe-disk.ts";
import { toConnectError } from "../api-errors.ts";
import type { ResetRun, Sequencer } from "../sequencer.ts";
import { type EtcdOperations, etcdToConnect } from "./etcd.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

/** What Upgrade and Rollback need (lifecycle/slot-change.ts); absent in container mode. */
export type SlotChanges = Pick<SlotChanger, "upgrade" | "rollback" | "describe">;

/** What a reset request will wipe, and the run the reset sequence carries out (lifecycle/reset.ts). */
export type ResetPlanner = (req: ResetRequestInput) => {
  readonly wiping: readonly string[];
  readonly run: ResetRun;
};

function toConnect(err: unknown): ConnectError {
  if (err instanceof SlotChangeError || err instanceof ResetError || err instanceof WipeDiskError)
    return new ConnectError(err.message, Code[err.code]);
  return ConnectError.from(err, Code.Internal);
}

const noSlots = (what: string) =>
  new ConnectError(
    `${what} refused: this node has no boot slots (container mode runs the host's build)`,
    Code.FailedPrecondition,
  );

/** What a control plane's etcd asks of an upgrade (healthy members) and a graceful reset (leave first). */
export type EtcdDeparture = Pick<EtcdOperations, "checkBeforeReboot" | "leaveBeforeReset">;

/** Upgrade, Rollback, Reset and WipeDisk (docs/design.md, "Lifecycle"). */
export function lifecycleHandlers(
  slots: SlotChanges | undefined,
  installing: () => boolean = () => false,
  reset?: {
    planner: ResetPlanner | undefined;
    sequencer: Sequencer;
    wipeDisk: ((device: string, method: string) => Promise<number>) | undefined;
  },
  etcd: () => EtcdDeparture | undefined = () => undefined,
): Pick<MachineServiceImpl, "upgrade" | "rollback" | "reset" | "wipeDisk"> {
  return {
    reset: async (req) => {
      if (reset?.planner === undefined)
        throw new ConnectError(
          "reset refused: container mode has no disk to wipe (stop the container instead)",
          Code.FailedPrecondition,
        );
      if (installing())
        throw new ConnectError("reset refused: an install is writing the disk", Code.FailedPrecondition);
      let plan: ReturnType<ResetPlanner>;
      try {
        plan = reset.planner(req);
      } catch (err) {
        throw toConnect(err);
      }
      // a control plane's member leaves etcd first, unless that costs the quorum (then: refused)
      if (req.graceful)
        await etcd()
          ?.leaveBeforeReset(req.force)
          .catch((err: unknown) => {
            throw etcdToConnect(err, "reset refused: leaving etcd first");
          });
      try {
        await reset.sequencer.reset(plan.run);
      } catch (err) {
        throw toConnectError(err, "reset refused");
      }
      return { wiping: [...plan.wiping] };
    },
    wipeDisk: async (req) => {
      if (reset?.wipeDisk === undefined)
        throw new ConnectError(
          "wipe disk refused: container mode has no disks of its own",
          Code.FailedPrecondition,
        );
      try {
        return { bytesZeroed: BigInt(await reset.wipeDisk(req.device, req.method)) };
      } catch (err) {
        throw toConnect(err);
      }
    },
    upgrade: async (req, ctx) => {
      if (slots === undefined) throw noSlots("upgrade");
      if (installing())
        throw new ConnectError("upgrade refused: an install is writing the disk", Code.FailedPrecondition);
      // the reboot takes this node's etcd member away for a while: the others must be healthy
      if (!req.stage && !req.force)
        await etcd()
          ?.checkBeforeReboot()
          .catch((err: unknown) => {
            throw etcdToConnect(err, "upgrade refused");
          });
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
