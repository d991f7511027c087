import * as z from "zod";
import { MachineConfigSchema } from "./schema/config.ts";

export const SCHEMA_ID = "https://bronze.dev/schemas/machine-config/v1alpha1.json";

/**
 * The JSON Schema (draft 2020-12) of the v1alpha1 machine config document, generated from the zod
 * schema. Cross-field rules and value checks beyond types and patterns are not expressible there;
 * `validateConfig` is the authority.
 */
export function machineConfigJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(MachineConfigSchema, { target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  return { $schema, $id: SCHEMA_ID, title: "Bronze machine config (v1alpha1)", ...rest };
}
