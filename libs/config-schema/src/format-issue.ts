import type { ConfigIssue } from "./types.ts";

/** `file:line:col: error: machine.x: message [code]` (the file and an empty path are omitted when absent). */
export function formatIssue(issue: ConfigIssue, file?: string): string {
  const location = `${issue.line}:${issue.column}`;
  const where = file === undefined || file === "" ? location : `${file}:${location}`;
  const path = issue.path === "" ? "" : `${issue.path}: `;
  return `${where}: ${issue.severity}: ${path}${issue.message} [${issue.code}]`;
}
