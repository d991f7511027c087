import * as z from "zod";
import type { FieldPath } from "./field-path.ts";

/** Unwraps optional/nullable/default wrappers. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable)
      current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    else return current;
  }
}

/** The schema that governs the value at `path`, or undefined when the path leaves the schema. */
export function schemaAt(schema: z.ZodType, path: FieldPath): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (!current) return undefined;
    if (current instanceof z.ZodObject && typeof segment === "string") {
      const field: z.ZodType | undefined = (current.shape as Record<string, z.ZodType>)[segment];
      current = field ? unwrap(field) : undefined;
    } else if (current instanceof z.ZodArray && typeof segment === "number") {
      current = unwrap(current.element as z.ZodType);
    } else if (current instanceof z.ZodRecord) {
      current = unwrap(current.valueType as z.ZodType);
    } else {
      return undefined;
    }
  }
  return current;
}

/** The field names an object schema at `path` accepts, in declaration order. */
export function knownKeys(schema: z.ZodType, path: FieldPath): string[] {
  const at = schemaAt(schema, path);
  return at instanceof z.ZodObject ? Object.keys(at.shape) : [];
}
