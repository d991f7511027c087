// `osctl reset` (wipe the node's STATE and/or EPHEMERAL, then reboot or power off; the node comes back
// in maintenance mode when STATE was wiped) and `osctl wipe disk <device>` (a disk that is not the
// system disk and has nothing mounted).
import { fanOut, succeeded } from "../client/fan-out.ts";
import { type NodeGlobals, withNodeSession } from "../client/node-client.ts";
import { reportErrors } from "../client/node-output.ts";
import type { Io } from "../io.ts";

export interface ResetOptions {
  graceful?: boolean;
  reboot?: boolean;
  systemLabelsToWipe?: string[];
  wipeMode?: string;
  force?: boolean;
}

export async function reset(options: ResetOptions, globals: NodeGlobals, io: Io): Promise<number> {
  const labels = (options.systemLabelsToWipe ?? []).flatMap((l) => l.split(",")).filter((l) => l !== "");
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, (n) =>
      session.client.reset(
        {
          graceful: options.graceful ?? true,
          reboot: options.reboot ?? false,
          systemLabelsToWipe: labels,
          wipeMode: options.wipeMode ?? "all",
          force: options.force ?? false,
        },
        { headers: n.headers, timeoutMs: session.timeoutMs },
      ),
    );
    for (const r of succeeded(results))
      io.stderr(
        `${r.node}: resetting: wiping ${r.value.wiping.join(", ") || "nothing"}, then ${options.reboot ? "rebooting (it comes back in maintenance mode when STATE is wiped)" : "powering off"}\n`,
      );
    return reportErrors(io, results);
  });
}

export async function wipeDisk(
  device: string,
  options: { method?: string },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, (n) =>
      session.client.wipeDisk(
        { device, method: options.method ?? "fast" },
        { headers: n.headers, timeoutMs: session.timeoutMs },
      ),
    );
    for (const r of succeeded(results))
      io.stdout(`${r.node}: ${device} wiped (${r.value.bytesZeroed} bytes zeroed)\n`);
    return reportErrors(io, results);
  });
}
