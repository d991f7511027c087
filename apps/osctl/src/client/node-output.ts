// Prints per-node results: a table with a NODE column when several nodes answer (as talosctl
// does), or a JSON/YAML list of `{node, ...}` for pipelines. A node's error goes to stderr with
// the node's name and makes the exit code 1, without hiding the other nodes' results.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { toJson } from "@bufbuild/protobuf";
import type { Io } from "../io.ts";
import { type OutputFormat, renderData, renderTable } from "../output/output-format.ts";
import { failed, type NodeResult } from "./fan-out.ts";

export interface NodeView<T> {
  headers: string[];
  rows(value: T): string[][];
  /** What JSON/YAML show for a node, merged after `node`. */
  data(value: T): Record<string, unknown>;
}

/** A protobuf message as plain JSON (proto3 JSON names, every field shown). */
export function messageData<D extends DescMessage>(
  schema: D,
  message: MessageShape<D>,
): Record<string, unknown> {
  return toJson(schema, message, { alwaysEmitImplicit: true }) as Record<string, unknown>;
}

/** Prints each node's error as `error: <node>: <message>`; returns the exit code (1 if any failed). */
export function reportErrors<T>(io: Io, results: NodeResult<T>[]): number {
  const errors = failed(results);
  for (const e of errors) io.stderr(`error: ${e.node}: ${e.error}\n`);
  return errors.length ? 1 : 0;
}

/** The text of a result table; the NODE column appears when `withNode`. */
export function renderNodeTable<T>(results: NodeResult<T>[], view: NodeView<T>, withNode: boolean): string {
  const rows: string[][] = [];
  for (const r of results) {
    if (!("value" in r)) continue;
    for (const row of view.rows(r.value)) rows.push(withNode ? [r.node, ...row] : row);
  }
  return renderTable(withNode ? ["NODE", ...view.headers] : view.headers, rows);
}

/** The list JSON/YAML show: `{node, ...data}` per answering node, `{node, error}` per failing one. */
export function nodeData<T>(
  results: NodeResult<T>[],
  data: (value: T) => Record<string, unknown>,
): unknown[] {
  return results.map((r) =>
    "value" in r ? { node: r.node, ...data(r.value) } : { node: r.node, error: r.error },
  );
}

/** Prints the results in `format` and the errors on stderr; returns the exit code. */
export function printNodeResults<T>(
  io: Io,
  format: OutputFormat,
  results: NodeResult<T>[],
  view: NodeView<T>,
  withNode = results.length > 1,
): number {
  if (format === "table") {
    if (results.some((r) => "value" in r)) io.stdout(renderNodeTable(results, view, withNode));
  } else {
    io.stdout(renderData(format, nodeData(results, view.data)));
  }
  return reportErrors(io, results);
}
