export type PathSegment = string | number;
export type FieldPath = readonly PathSegment[];

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** Formats a path as `machine.network.interfaces[0].addresses[1]`; keys that are not identifiers are quoted: `sysctls["net.ipv4.ip_forward"]`. */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const segment of path) out = appendSegment(out, segment);
  return out;
}

/** `formatPath([...path, segment])` given `formatPath(path)`. */
export function appendSegment(formatted: string, segment: PathSegment): string {
  if (typeof segment === "number") return `${formatted}[${segment}]`;
  if (IDENTIFIER.test(segment)) return formatted === "" ? segment : `${formatted}.${segment}`;
  return `${formatted}[${JSON.stringify(segment)}]`;
}

/** Splits an RFC 6901 JSON pointer into its unescaped tokens. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return undefined;
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** Converts pointer tokens to a field path, turning digit tokens into indices. */
export function pointerToPath(tokens: readonly string[]): PathSegment[] {
  return tokens.map((token) => (/^(?:0|[1-9][0-9]*)$/.test(token) ? Number(token) : token));
}

/** Reads the value at `path` in plain JS data, or undefined. */
export function getIn(value: unknown, path: FieldPath): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}
