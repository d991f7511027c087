const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION = /^(?:(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/** Parses a Go-style duration (`90s`, `2m0s`, `1h30m`, `500ms`, `0`) into milliseconds. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const match of text.matchAll(PART)) ms += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  return ms;
}

export function validateDuration(text: string): string | undefined {
  return parseDuration(text) === undefined
    ? `"${text}" is not a valid duration (expected e.g. 30s, 2m0s, 1h30m, 500ms)`
    : undefined;
}
