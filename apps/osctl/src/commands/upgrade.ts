// `osctl upgrade --image URL [--stage] [--wait]` and `osctl rollback [--wait]`: the node writes the
// new system into its other boot slot (or picks the other slot's) and boots it once; it becomes the
// default only when the node is healthy on it, else the node falls back by itself. With --wait, each
// node is polled until it answers from the new slot with the change committed, or until it says the
// change was rolled back (and why).
import type { VersionResponse } from "@bronze/api";
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Expected {
  readonly slot: string;
  readonly version: string;
}

/** Where a node stands against what was asked: done, failed (rolled back) or still on its way. */
export function slotProgress(
  v: Pick<VersionResponse, "bootedSlot" | "lastUpgrade"> & { version?: { tag: string } },
  expected: Expected,
): { done: true } | { failed: string } | { waiting: string } {
  const last = v.lastUpgrade;
  if (/ rolled back: /.test(last) && last.includes(`(slot ${expected.slot})`)) return { failed: last };
  if (v.bootedSlot === expected.slot && v.version?.tag === expected.version) {
    return / committed$/.test(last)
      ? { done: true }
      : { waiting: `up on slot ${expected.slot}, not committed yet (${last || "no record"})` };
  }
  return { waiting: `up on slot ${v.bootedSlot || "?"} (${v.version?.tag ?? "?"}), not rebooted yet` };
}

async function waitForSlots(
  session: NodeSession,
  expected: Map<string, Expected>,
  intervalMs: number,
  io: Io,
): Promise<number> {
  const start = io.now().getTime();
  const deadline = start + session.timeoutMs;
  const pending = new Set(expected.keys());
  const state = new Map<string, string>();
  const down = new Set<string>();
  let failures = 0;
  while (pending.size > 0) {
    if (io.now().getTime() + intervalMs > deadline) {
      const last = [...pending].map((n) => `${n}: ${state.get(n) ?? "no answer yet"}`).join("; ");
      throw new CliError(
        "failed",
        `timed out after ${formatDuration(session.timeoutMs)}; last seen: ${last}`,
      );
    }
    await sleep(intervalMs);
    const callTimeout = Math.max(1, Math.min(5000, deadline - io.now().getTime()));
    const results = await fanOut({ ...session, nodes: session.nodes.length ? [...pending] : [] }, (n) =>
      session.client.version({}, { headers: n.headers, timeoutMs: callTimeout }),
    );
    for (const r of results) {
      const want = expected.get(r.node) as Expected;
      if ("error" in r) {
        if (!down.has(r.node)) io.stderr(`${r.node}: rebooting (${r.error})\n`);
        down.add(r.node);
        state.set(r.node, `down (${r.error})`);
        continue;
      }
      const progress = slotProgress(r.value, want);
      const elapsed = formatDuration(Math.round((io.now().getTime() - start) / 1000) * 1000);
      if ("done" in progress) {
        pending.delete(r.node);
        io.stdout(`${r.node}: running ${want.version} from slot ${want.slot} (committed, ${elapsed})\n`);
      } else if ("failed" in progress) {
        pending.delete(r.node);
        failures++;
        io.stderr(
          `${r.node}: ${progress.failed} (back on ${r.value.version?.tag ?? "?"}, slot ${r.value.bootedSlot}, after ${elapsed})\n`,
        );
      } else {
        if (state.get(r.node) !== progress.waiting && down.has(r.node))
          io.stderr(`${r.node}: ${progress.waiting}\n`);
        state.set(r.node, progress.waiting);
      }
    }
  }
  return failures > 0 ? 1 : 0;
}

export interface UpgradeOptions {
  image?: string;
  stage?: boolean;
  wait?: boolean;
  force?: boolean;
  intervalMs?: number;
}

export async function upgrade(options: UpgradeOptions, globals: NodeGlobals, io: Io): Promise<number> {
  const image = options.image ?? "";
  if (image === "")
    throw new CliError(
      "invalid-input",
      "--image is required: the http(s) URL of a directory holding vmlinuz, initramfs.zst, cmdline and manifest.json",
    );
  if (options.wait && options.stage)
    throw new CliError(
      "invalid-input",
      "--wait and --stage: a staged upgrade boots at the next reboot; wait for that with osctl reboot --wait",
    );
  return withNodeSession(globals, io, { defaultTimeoutMs: DEFAULT_WAIT_TIMEOUT_MS }, async (session) => {
    for (const n of session.nodes.length ? session.nodes : ["(the endpoint)"])
      io.stderr(
        `${n}: downloading ${image} and writing the other slot (every file checked against manifest.json)\n`,
      );
    const results = await fanOut(session, (n) =>
      session.client.upgrade(
        { image, stage: options.stage ?? false, force: options.force ?? false },
        { headers: n.headers, timeoutMs: session.timeoutMs },
      ),
    );
    const code = reportErrors(io, results);
    const expected = new Map<string, Expected>();
    for (const r of succeeded(results)) {
      io.stderr(`${r.node}: ${r.value.ack}\n`);
      expected.set(r.node, { slot: r.value.slot, version: r.value.version });
    }
    if (!options.wait || expected.size === 0) return code;
    return Math.max(code, await waitForSlots(session, expected, options.intervalMs ?? 2000, io));
  });
}

export async function rollback(
  options: { wait?: boolean; intervalMs?: number },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(
    globals,
    io,
    { defaultTimeoutMs: options.wait ? DEFAULT_WAIT_TIMEOUT_MS : undefined },
    async (session) => {
      const results = await fanOut(session, (n) =>
        session.client.rollback({}, { headers: n.headers, timeoutMs: Math.min(session.timeoutMs, 60_000) }),
      );
      const code = reportErrors(io, results);
      const expected = new Map<string, Expected>();
      for (const r of succeeded(results)) {
        io.stderr(
          `${r.node}: rolling back to ${r.value.version} (slot ${r.value.slot}): rebooting into it\n`,
        );
        expected.set(r.node, { slot: r.value.slot, version: r.value.version });
      }
      if (!options.wait || expected.size === 0) return code;
      return Math.max(code, await waitForSlots(session, expected, options.intervalMs ?? 2000, io));
    },
  );
}
