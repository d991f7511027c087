// Safe readers for data that has not (necessarily) passed the schema: rules run on raw values so
// that every problem is reported at once, even when the schema found others.

export type RawRecord = Record<string, unknown>;

export function asRecord(value: unknown): RawRecord | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as RawRecord)
    : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A non-empty string, or undefined ("" counts as absent, as Talos writes `key: ""`). */
export function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

export function has(value: unknown, ...path: string[]): boolean {
  const parent = at(value, ...path.slice(0, -1));
  const last = path[path.length - 1];
  return last !== undefined && asRecord(parent) !== undefined && Object.hasOwn(parent as object, last);
}
