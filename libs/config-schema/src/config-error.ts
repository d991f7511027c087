import { formatIssue } from "./format-issue.ts";
import type { ConfigIssue } from "./types.ts";

export type ConfigErrorCode = "invalid" | "patch" | "yaml";

const SHOWN = 10;

/** The config library's error: an invalid config, a patch that cannot apply, or a YAML syntax error. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(
    readonly code: ConfigErrorCode,
    summary: string,
    readonly issues: ConfigIssue[],
    /** The text the issues' positions refer to when it is not the caller's input (the patched output). */
    readonly source?: string,
  ) {
    const lines = issues.slice(0, SHOWN).map((issue) => `  ${formatIssue(issue)}`);
    if (issues.length > SHOWN) lines.push(`  ... and ${issues.length - SHOWN} more`);
    super(lines.length > 0 ? `${summary}\n${lines.join("\n")}` : summary);
  }
}
