// Streaming commands: `osctl logs <service> [-f] [--tail N]`, `osctl dmesg [-f]`,
// `osctl events [-f] [--tail N]`. With several nodes every line is prefixed by its node.
// Following runs until the user interrupts (or `signal` aborts, for tests and embedding).
import { type KernelMessage, LogLineDecoder, MachineService } from "@bronze/api";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { bytesStream } from "../client/bytes-stream.ts";
import { fanOut } from "../client/fan-out.ts";
import { type NodeGlobals, type NodeSession, withNodeSession } from "../client/node-client.ts";
import { reportErrors } from "../client/node-output.ts";
import type { Io } from "../io.ts";

export interface StreamOptions {
  follow?: boolean;
  tail?: number;
}

/** Turns one node's stream of messages into lines (a log line may span messages). */
interface StreamDecoder<T> {
  push(item: T): string[];
  end(): string[];
}

function perItem<T>(lines: (item: T) => string[]): () => StreamDecoder<T> {
  return () => ({ push: lines, end: () => [] });
}

/** Runs one stream per node; each node's lines are written as they come. Returns the exit code. */
async function streamPerNode<T>(
  session: NodeSession,
  io: Io,
  open: (
    headers: Record<string, string>,
    signal: AbortSignal,
    timeoutMs: number | undefined,
  ) => AsyncIterable<T>,
  decoder: () => StreamDecoder<T>,
  follow: boolean,
  signal?: AbortSignal,
): Promise<number> {
  const several = session.nodes.length > 1;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const results = await fanOut(session, async (n) => {
      const decode = decoder();
      const write = (lines: string[]) => {
        for (const line of lines) io.stdout(several ? `${n.node}: ${line}\n` : `${line}\n`);
      };
      try {
        for await (const item of open(n.headers, controller.signal, follow ? undefined : session.timeoutMs)) {
          write(decode.push(item));
        }
        write(decode.end());
      } catch (error) {
        if (controller.signal.aborted) return; // the user stopped following: not a failure
        throw error;
      }
    });
    return reportErrors(io, results);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** A node's Logs bytes as lines: the service's output as written, machined's own lines marked "[machined] ". */
export function logLines(): StreamDecoder<Uint8Array> {
  const decoder = new LogLineDecoder();
  return { push: (data) => decoder.push(data), end: () => decoder.end() };
}

export async function logs(
  id: string,
  options: StreamOptions,
  globals: NodeGlobals,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  const follow = options.follow ?? false;
  // talosctl's default: every kept line first, then the new ones when following.
  const tailLines = options.tail ?? -1;
  return withNodeSession(globals, io, {}, (session) =>
    streamPerNode(
      session,
      io,
      // read raw: the log's bytes as HTTP/2 delivered them, no message decoded (client/bytes-stream.ts)
      (headers, sig, timeoutMs) =>
        bytesStream(
          session,
          MachineService.method.logs,
          { id, follow, tailLines },
          { headers, signal: sig, timeoutMs },
        ),
      logLines,
      follow,
      signal,
    ),
  );
}

/** `[   12.345678] message`, as dmesg prints it. */
export function formatKernelMessage(message: KernelMessage): string {
  const usec = message.timestampUsec;
  const seconds = usec / 1_000_000n;
  const micros = (usec % 1_000_000n).toString().padStart(6, "0");
  return `[${seconds.toString().padStart(5)}.${micros}] ${message.message}`;
}

export async function dmesg(
  options: { follow?: boolean; tail?: boolean },
  globals: NodeGlobals,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  const follow = options.follow ?? false;
  return withNodeSession(globals, io, {}, (session) =>
    streamPerNode(
      session,
      io,
      (headers, sig, timeoutMs) =>
        session.client.dmesg({ follow, tail: options.tail ?? false }, { headers, signal: sig, timeoutMs }),
      perItem((res) => res.messages.map(formatKernelMessage)),
      follow,
      signal,
    ),
  );
}

export async function events(
  options: StreamOptions & { service?: string },
  globals: NodeGlobals,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  const follow = options.follow ?? false;
  const tailEvents = options.tail ?? -1;
  return withNodeSession(globals, io, {}, (session) =>
    streamPerNode(
      session,
      io,
      (headers, sig, timeoutMs) =>
        session.client.events(
          { tailEvents, follow, service: options.service ?? "" },
          { headers, signal: sig, timeoutMs },
        ),
      perItem((e) => {
        const time = e.time ? timestampDate(e.time).toISOString() : "";
        const health = e.healthy === undefined ? "" : e.healthy ? " [healthy]" : " [unhealthy]";
        return [`${time} ${e.service} ${e.state}${health}${e.message ? `: ${e.message}` : ""}`];
      }),
      follow,
      signal,
    ),
  );
}
