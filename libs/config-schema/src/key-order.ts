import * as z from "zod";
import { asRecord } from "./raw.ts";
import { unwrap } from "./schema-at.ts";

/**
 * Returns a copy of `value` whose map keys follow the schema's declaration order (unknown keys
 * after, in their original order; free-form maps sorted by key), so that output is stable.
 */
export function orderKeys(value: unknown, schema: z.ZodType | undefined): unknown {
  const s = schema ? unwrap(schema) : undefined;
  if (Array.isArray(value)) {
    const element = s instanceof z.ZodArray ? (s.element as z.ZodType) : undefined;
    return value.map((item) => orderKeys(item, element));
  }
  const record = asRecord(value);
  if (!record) return value;
  const out: Record<string, unknown> = {};
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, z.ZodType>;
    for (const key of Object.keys(shape)) {
      if (Object.hasOwn(record, key)) out[key] = orderKeys(record[key], shape[key]);
    }
    for (const key of Object.keys(record))
      if (!Object.hasOwn(shape, key)) out[key] = orderKeys(record[key], undefined);
    return out;
  }
  const valueSchema = s instanceof z.ZodRecord ? (s.valueType as z.ZodType) : undefined;
  for (const key of Object.keys(record).sort()) out[key] = orderKeys(record[key], valueSchema);
  return out;
}
