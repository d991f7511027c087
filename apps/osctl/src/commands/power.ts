// `osctl reboot [--wait]` and `osctl shutdown [--force]`. With --wait, each node is polled until it
// has gone down and answered again (or machined reports a new start), with progress on stderr and
// a clear timeout message naming the last state seen.
import type { ServiceInfo } from "@bronze/api";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { CliError } from "../cli-error.ts";
import { fanOut, succeeded } from "../client/fan-out.ts";
import {
  DEFAULT_WAIT_TIMEOUT_MS,
  type NodeGlobals,
  type NodeSession,
  withNodeSession,
} from "../client/node-client.ts";
import { formatDuration } from "../client/node-error.ts";
import { reportErrors } from "../client/node-output.ts";
import type { Io } from "../io.ts";

/** When machined's own service entered its state: changes on every boot. */
function bootMarker(services: ServiceInfo[]): number | undefined {
  const machined = services.find((s) => s.id === "machined");
  return machined?.since ? timestampMs(machined.since) : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RebootOptions {
  wait?: boolean;
  /** Milliseconds between polls while waiting. */
  intervalMs?: number;
}

export async function reboot(options: RebootOptions, globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(
    globals,
    io,
    { defaultTimeoutMs: options.wait ? DEFAULT_WAIT_TIMEOUT_MS : undefined },
    async (session) => {
      const callTimeout = Math.min(session.timeoutMs, 30_000);
      // Before rebooting: what machined's start looks like now, to recognise the next boot.
      const before = new Map<string, number | undefined>();
      if (options.wait) {
        for (const r of succeeded(
          await fanOut(session, async (n) =>
            bootMarker(
              (await session.client.serviceList({}, { headers: n.headers, timeoutMs: callTimeout })).services,
            ),
          ),
        ))
          before.set(r.node, r.value);
      }
      const results = await fanOut(session, (n) =>
        session.client.reboot({}, { headers: n.headers, timeoutMs: callTimeout }),
      );
      const code = reportErrors(io, results);
      const rebooting = succeeded(results).map((r) => r.node);
      for (const node of rebooting) io.stderr(`${node}: reboot requested\n`);
      if (!options.wait || rebooting.length === 0) return code;
      await waitForReboot(session, rebooting, before, options.intervalMs ?? 2000, io);
      return code;
    },
  );
}

async function waitForReboot(
  session: NodeSession,
  nodes: string[],
  before: Map<string, number | undefined>,
  intervalMs: number,
  io: Io,
): Promise<void> {
  const start = io.now().getTime();
  const deadline = start + session.timeoutMs;
  const state = new Map<string, string>(nodes.map((n) => [n, "rebooting (not seen down yet)"]));
  const down = new Set<string>();
  const pending = new Set(nodes);
  while (pending.size > 0) {
    if (io.now().getTime() + intervalMs > deadline) {
      const last = [...pending].map((n) => `${n}: ${state.get(n)}`).join("; ");
      throw new CliError(
        "failed",
        `timed out after ${formatDuration(session.timeoutMs)} waiting for the reboot; last seen: ${last}`,
      );
    }
    await sleep(intervalMs);
    const callTimeout = Math.max(1, Math.min(5000, deadline - io.now().getTime()));
    const targets = session.nodes.length ? [...pending] : [];
    const results = await fanOut({ ...session, nodes: targets }, async (n) =>
      bootMarker(
        (await session.client.serviceList({}, { headers: n.headers, timeoutMs: callTimeout })).services,
      ),
    );
    for (const r of results) {
      if ("error" in r) {
        if (!down.has(r.node)) io.stderr(`${r.node}: down (${r.error})\n`);
        down.add(r.node);
        state.set(r.node, `down (${r.error})`);
        continue;
      }
      const previous = before.get(r.node);
      const newBoot = r.value !== undefined && previous !== undefined && r.value !== previous;
      if (down.has(r.node) || newBoot) {
        pending.delete(r.node);
        io.stderr(
          `${r.node}: back up after ${formatDuration(Math.round((io.now().getTime() - start) / 1000) * 1000)}\n`,
        );
      } else {
        state.set(r.node, "still up, not rebooted yet");
      }
    }
  }
  io.stdout(`rebooted: ${nodes.join(", ")}\n`);
}

export async function shutdown(options: { force?: boolean }, globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, (n) =>
      session.client.shutdown(
        { force: options.force ?? false },
        { headers: n.headers, timeoutMs: session.timeoutMs },
      ),
    );
    for (const r of succeeded(results)) io.stderr(`${r.node}: shutdown requested\n`);
    return reportErrors(io, results);
  });
}
