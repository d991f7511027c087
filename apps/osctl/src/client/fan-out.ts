// One call per node, concurrently, through the one endpoint: the `x-bronze-node` header names the
// node apid forwards to (no header when no node is given: the endpoint's own node answers). Each
// node's result or error is collected; one failing does not stop the others.
import { NODE_HEADER } from "@bronze/api";
import { describeError, worthDiagnosing } from "./node-error.ts";

export type NodeResult<T> = { node: string; value: T } | { node: string; error: string };

export interface FanOutTarget {
  endpoint: string;
  nodes: string[];
  timeoutMs?: number;
  /** Explains a call that failed before any answer (a TLS diagnosis); undefined if it finds nothing wrong. */
  diagnose?: () => Promise<string | undefined>;
}

/** The call options for one node. */
export interface NodeCall {
  node: string;
  headers: Record<string, string>;
}

export async function fanOut<T>(
  target: FanOutTarget,
  call: (node: NodeCall) => Promise<T>,
): Promise<NodeResult<T>[]> {
  const calls: NodeCall[] = target.nodes.length
    ? target.nodes.map((node) => ({ node, headers: { [NODE_HEADER]: node } }))
    : [{ node: target.endpoint, headers: {} }];
  return Promise.all(
    calls.map(async (c): Promise<NodeResult<T>> => {
      try {
        return { node: c.node, value: await call(c) };
      } catch (error) {
        // Only on this failure path: a diagnostic handshake says what "stream closed" meant.
        const diagnosed = target.diagnose && worthDiagnosing(error) ? await target.diagnose() : undefined;
        return { node: c.node, error: diagnosed ?? describeError(error, target.endpoint, target.timeoutMs) };
      }
    }),
  );
}

export function failed<T>(results: NodeResult<T>[]): { node: string; error: string }[] {
  return results.filter((r): r is { node: string; error: string } => "error" in r);
}

export function succeeded<T>(results: NodeResult<T>[]): { node: string; value: T }[] {
  return results.filter((r): r is { node: string; value: T } => "value" in r);
}
