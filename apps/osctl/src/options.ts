// Parsers for flag values. Kept free of heavy imports: the command tree (program.ts, program/)
// loads this file for every invocation (including --help), while command implementations load lazily.
import type { Mode } from "@bronze/config-schema";
import type { CertificateUsage, KeyAlgorithm } from "@bronze/pki";
import { usageError } from "./cli-error.ts";
import type { OutputFormat } from "./output/output-format.ts";

function oneOf<T extends string>(flag: string, what: string, allowed: readonly T[]) {
  return (value: string): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw usageError(`${flag}: unknown ${what} "${value}" (expected one of: ${allowed.join(", ")})`);
  };
}

export const parseMode = oneOf<Mode>("--mode", "mode", ["metal", "qemu", "container"]);
export const parseAlgorithm = oneOf<KeyAlgorithm>("--algorithm", "algorithm", ["ecdsa-p256", "ed25519"]);
export const parseUsage = oneOf<CertificateUsage>("--usage", "usage", ["client", "server", "both"]);
export const parseOutputFormat = oneOf<OutputFormat>("-o/--output", "format", ["table", "json", "yaml"]);
export const parseReportFormat = oneOf<"text" | "json">("-o/--output", "format", ["text", "json"]);

export function parseHours(value: string): number {
  const hours = Number(value);
  if (!Number.isFinite(hours) || hours <= 0)
    throw usageError(`--hours: "${value}" is not a positive number of hours`);
  return hours;
}

/** Collects a repeatable flag; each value may itself be a comma-separated list when `split`. */
export function collect(split: boolean) {
  return (value: string, previous: string[] = []): string[] => [
    ...previous,
    ...(split
      ? value
          .split(",")
          .map((v) => v.trim())
          .filter(Boolean)
      : [value]),
  ];
}
