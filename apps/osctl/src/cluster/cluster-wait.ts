// Waiting for a local cluster's nodes, all at once: each node's progress read from its serial log,
// then apid's TLS, then a Version call over mTLS (or, in maintenance mode, the fingerprint on its
// console); a node that fails is reported with the end of its QEMU log.
import { join } from "node:path";
import { tlsAnswers } from "@bronze/api";
import { isCliError } from "../cli-error.ts";
import { withNodeSession } from "../client/node-client.ts";
import { type Io, quietIo } from "../io.ts";
import type { ClusterState, NodeState } from "./cluster-state.ts";
import { readLog, tailLog } from "./log-files.ts";
import { type NodeOutcome, NodeWaitError, waitForNode } from "./node-wait.ts";
import { isAlive } from "./process-control.ts";

export const DEFAULT_WAIT_MS = 10 * 60_000;

export interface WaitForNodesInput {
  /** The cluster's directory (each node's QEMU log is <dir>/<node>/qemu.log). */
  dir: string;
  osconfig: string;
  context: string;
  timeoutMs: number;
  /** Time since `cluster create` started, for the progress lines, e.g. "42.0s". */
  elapsed: () => string;
}

export interface NodesOutcome {
  /** How many nodes did not come up. */
  failed: number;
  /** The nodes that came up, by name: how far (API, maintenance mode, end of boot) and the detail. */
  outcomes: Map<string, NodeOutcome>;
}

function waitForOneNode(node: NodeState, input: WaitForNodesInput, io: Io): Promise<NodeOutcome> {
  return waitForNode(
    {
      serial: () => readLog(node.serialLog),
      alive: () => isAlive(node.pid),
      tlsAnswers: () => tlsAnswers("127.0.0.1", node.apidPort),
      version: () =>
        withNodeSession(
          {
            osconfig: input.osconfig,
            context: input.context,
            endpoints: [`127.0.0.1:${node.apidPort}`],
            // apid's TLS answers already: a loaded TCG node may take many seconds over its
            // first call, and a call cancelled at 5 s only started over (and reset machined's socket)
            timeout: 30_000,
          },
          quietIo(io),
          {},
          async (s) => (await s.client.version({}, { timeoutMs: s.timeoutMs })).version?.tag ?? "",
        ),
    },
    {
      timeoutMs: input.timeoutMs,
      clock: { now: () => Date.now(), sleep: (ms) => Bun.sleep(ms) },
      progress: (_stage, message) => io.stdout(`  ${node.name}: ${message} (${input.elapsed()})\n`),
    },
  );
}

/** Waits for every node of `state` at once, printing each one's progress and how it ended. */
export async function waitForNodes(
  state: ClusterState,
  input: WaitForNodesInput,
  io: Io,
): Promise<NodesOutcome> {
  let failed = 0;
  const outcomeOf = new Map<string, NodeOutcome>();
  io.stdout(`waiting for the nodes (at most ${Math.round(input.timeoutMs / 1000)} s)...\n`);
  const outcomes = await Promise.all(
    state.nodes.map(async (node): Promise<NodeOutcome | Error> => {
      try {
        return await waitForOneNode(node, input, io);
      } catch (error) {
        return error instanceof NodeWaitError || isCliError(error)
          ? (error as Error)
          : new Error(String(error));
      }
    }),
  );
  outcomes.forEach((outcome, i) => {
    const node = state.nodes[i];
    if (!node) return;
    if (outcome instanceof Error) {
      failed++;
      const qemuLog = tailLog(join(input.dir, node.name, "qemu.log"), 5);
      io.stderr(
        `${node.name}: ${outcome.message}; serial log: ${node.serialLog}\n${qemuLog ? `${qemuLog}\n` : ""}`,
      );
    } else {
      outcomeOf.set(node.name, outcome);
      io.stdout(`${node.name}: ${outcome.stage === "api" ? "ready" : "up"}: ${outcome.detail}\n`);
    }
  });
  return { failed, outcomes: outcomeOf };
}
