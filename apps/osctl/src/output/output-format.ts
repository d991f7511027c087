// Renders command results as a table (for people) or JSON/YAML (for pipelines): `-o table|json|yaml`.
import { stringify } from "yaml";

export type OutputFormat = "table" | "json" | "yaml";
/** Left-aligned columns separated by three spaces, like kubectl and talosctl. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

export function renderData(format: Exclude<OutputFormat, "table">, data: unknown): string {
  return format === "json" ? `${JSON.stringify(data, null, 2)}\n` : stringify(data);
}

/** Data for pipelines (`json`, `yaml`) or the table a person reads (`table`). */
export function renderOutput(format: OutputFormat, data: unknown, table: () => string): string {
  return format === "table" ? table() : renderData(format, data);
}
