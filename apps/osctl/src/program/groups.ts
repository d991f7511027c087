// osctl's top-level commands in groups, in the order `osctl --help` lists them. A run builds only
// the group of the command it invokes; the others are stand-in entries from the generated command
// index (src/gen/command-index.ts, `bun run generate`), enough for the root's help and errors.
import type { Command } from "commander";
import type { Io } from "../io.ts";
import { addClusterCommands } from "./cluster.ts";
import { addEtcdCommands } from "./etcd.ts";
import { addGenCommands } from "./gen.ts";
import type { ExitCodeSink } from "./globals.ts";
import { addImageCommands } from "./image.ts";
import { addMachineconfigCommands } from "./machineconfig.ts";
import {
  addFileCommands,
  addLogCommands,
  addMachineConfigCommands,
  addPowerCommands,
  addResetCommands,
  addServiceCommands,
  addSlotCommands,
  addSystemInfoCommands,
  addVersionCommand,
} from "./node.ts";
import { addOsconfigCommands } from "./osconfig.ts";
import { addPxeCommands } from "./pxe.ts";

export type AddCommands = (program: Command, io: Io, setExitCode: ExitCodeSink) => void;

export const COMMAND_GROUPS = {
  gen: addGenCommands,
  machineconfig: addMachineconfigCommands,
  osconfig: addOsconfigCommands,
  "node-version": addVersionCommand,
  "node-services": addServiceCommands,
  "node-logs": addLogCommands,
  "node-system-info": addSystemInfoCommands,
  "node-files": addFileCommands,
  "node-machine-config": addMachineConfigCommands,
  "node-power": addPowerCommands,
  "node-slots": addSlotCommands,
  "node-reset": addResetCommands,
  etcd: addEtcdCommands,
  pxe: addPxeCommands,
  cluster: addClusterCommands,
  image: addImageCommands,
} satisfies Record<string, AddCommands>;

export type CommandGroup = keyof typeof COMMAND_GROUPS;
