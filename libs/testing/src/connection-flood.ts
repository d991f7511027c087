// A server process under an fd limit, flooded with connections that do nothing: can a real client
// still get its call through? (The security review's slowloris: 1,100 idle connections against a
// server limited to 1,024 file descriptors.)
import { holdConnections } from "./held-connections.ts";
import { waitFor } from "./wait-for.ts";

export interface ConnectionFloodOptions<T> {
  /** The server's command line (run under `prlimit --nofile=<fdLimit>`). */
  readonly argv: readonly string[];
  readonly port: number;
  /** RLIMIT_NOFILE of the server (default 1024, what apid and trustd get in their containers). */
  readonly fdLimit?: number;
  /** Idle connections to hold (default 1,100). */
  readonly connections?: number;
  /** Source addresses they come from, 127.0.0.2 onwards (default 20). */
  readonly sources?: number;
  /** The real client's call: retried until it succeeds before the flood, run once during it. */
  readonly call: () => Promise<T>;
}

/** Starts the server, waits until `call` succeeds, floods it, and returns what `call` gives then. */
export async function callDuringConnectionFlood<T>(options: ConnectionFloodOptions<T>): Promise<T> {
  const limit = options.fdLimit ?? 1024;
  const child = Bun.spawn(["prlimit", `--nofile=${limit}:${limit}`, "--", ...options.argv], {
    stdout: "pipe",
    stderr: "pipe",
  });
  let flood: Awaited<ReturnType<typeof holdConnections>> | undefined;
  try {
    await waitFor(options.call, {
      what: `the server on port ${options.port} answering`,
      timeoutMs: 20_000,
      intervalMs: 100,
      abandon: () => (child.exitCode === null ? undefined : `it exited with ${child.exitCode}`),
    });
    flood = await holdConnections({
      port: options.port,
      count: options.connections ?? 1100,
      from: Array.from({ length: options.sources ?? 20 }, (_, i) => `127.0.0.${i + 2}`),
    });
    return await options.call();
  } finally {
    flood?.close();
    child.kill("SIGTERM");
    await child.exited;
  }
}
