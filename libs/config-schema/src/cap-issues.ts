import { CONFIG_LIMITS, type ConfigLimits } from "./config-limits.ts";
import type { ConfigIssue } from "./types.ts";

const ELLIPSIS = "…";

/** `text` cut to at most `maxBytes` UTF-8 bytes (ending in "…" when cut, never inside a character). */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  const room = maxBytes - Buffer.byteLength(ELLIPSIS, "utf8");
  let cut = text.slice(0, Math.max(0, room));
  for (let bytes = Buffer.byteLength(cut, "utf8"); bytes > room; bytes = Buffer.byteLength(cut, "utf8")) {
    // Each UTF-16 unit is at most 3 bytes: drop at least enough units to lose the excess.
    cut = cut.slice(0, cut.length - Math.ceil((bytes - room) / 3));
  }
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1); // half a surrogate pair
  return cut + ELLIPSIS;
}

function capList(issues: ConfigIssue[], limits: ConfigLimits): ConfigIssue[] {
  const kept: ConfigIssue[] = [];
  let budget = limits.maxReportedBytes;
  for (const issue of issues) {
    const message = truncateUtf8(issue.message, limits.maxMessageBytes);
    const path = truncateUtf8(issue.path, limits.maxPathBytes);
    const cost = Buffer.byteLength(message, "utf8") + Buffer.byteLength(path, "utf8");
    if (kept.length === limits.maxIssues || cost > budget) break;
    budget -= cost;
    kept.push(message === issue.message && path === issue.path ? issue : { ...issue, message, path });
  }
  const left = issues.length - kept.length;
  const first = issues[kept.length];
  if (left === 0 || !first) return kept;
  const noun = first.severity === "error" ? "error" : "warning";
  kept.push({
    path: "",
    line: first.line,
    column: first.column,
    message: `… and ${left} more ${noun}${left === 1 ? "" : "s"} not shown (a report holds at most ${limits.maxIssues} issues and ${limits.maxReportedBytes} bytes of messages)`,
    severity: first.severity,
    code: "too_many_issues",
    document: first.document,
  });
  return kept;
}

/**
 * Bounds a report so it fits in a gRPC status and a terminal: each message and path cut to its byte
 * limit, then at most `maxIssues` issues and `maxReportedBytes` of text per severity, in order; the
 * issues left out are counted in one closing issue (code `too_many_issues`) of the same severity,
 * placed at the first one left out.
 */
export function capIssues(
  errors: ConfigIssue[],
  warnings: ConfigIssue[],
  limits: ConfigLimits = CONFIG_LIMITS,
): { errors: ConfigIssue[]; warnings: ConfigIssue[] } {
  return { errors: capList(errors, limits), warnings: capList(warnings, limits) };
}
