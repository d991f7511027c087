import * as z from "zod";
import { ClusterSchema } from "./cluster.ts";
import { MachineSchema } from "./machine.ts";

/** The v1alpha1 machine config document. */
export const MachineConfigSchema = z
  .strictObject({
    version: z.literal("v1alpha1").describe("Config format version: v1alpha1."),
    debug: z.boolean().describe("Verbose logging on the console (not for production).").optional(),
    persist: z
      .boolean()
      .meta({ description: "Deprecated (Talos): the config is always persisted.", deprecated: true })
      .optional(),
    machine: MachineSchema,
    cluster: ClusterSchema,
  })
  .describe("Bronze machine config (v1alpha1)");

export type MachineConfig = z.infer<typeof MachineConfigSchema>;
