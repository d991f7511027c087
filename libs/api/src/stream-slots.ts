// Streaming calls (Logs, Events, Dmesg, List, Read, Copy...) hold resources in machined, PID 1, for as
// long as they last: a buffered message, a follower's queue, an open file, up to 512 KiB of queued log
// lines. Both machined and apid count them per role (security review M1). apid refuses one over the cap
// before it reaches machined, so that a flood of follows costs PID 1 nothing (docs/design.md §4);
// machined's own count stays, for any other caller of its socket.
import { Code, ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
import type { CallRole } from "./roles.ts";

/**
 * Streaming calls one role may have open at once. Per role, so that readers cannot take an admin's
 * share; unary calls are bounded by the HTTP/2 stream caps (http2-settings.ts, server-limits.ts).
 */
export const STREAMS_PER_ROLE = 24;

/** The streaming calls open now, per role. */
export class StreamSlots {
  readonly #open = new Map<CallRole, number>();

  constructor(readonly perRole = STREAMS_PER_ROLE) {}

  /** Streaming calls open now for `role`. */
  open(role: CallRole): number {
    return this.#open.get(role) ?? 0;
  }

  /**
   * Takes a slot for a streaming call of `role`, or throws RESOURCE_EXHAUSTED naming the cap. The
   * returned function frees it; calling it again does nothing.
   */
  acquire(role: CallRole): () => void {
    const count = this.open(role);
    if (count >= this.perRole) {
      throw new ConnectError(
        `${role} has ${count} streaming calls open, the most one role may have (${this.perRole}): ` +
          "end one (a logs --follow, a dmesg --follow...) and retry",
        Code.ResourceExhausted,
      );
    }
    this.#open.set(role, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open.set(role, this.open(role) - 1);
    };
  }
}

/**
 * An interceptor that takes a slot for each streaming call whose role `roleOf` names (undefined: not
 * counted, e.g. refused already or not served here) before its request is read, and frees it when the
 * call ends, however it ends (finished, failed, cancelled by the caller, server shutdown).
 */
export function streamSlotsInterceptor(
  slots: StreamSlots,
  roleOf: (values: ContextValues) => CallRole | undefined,
): Interceptor {
  return (next) => async (req) => {
    if (!req.stream) return next(req);
    const role = roleOf(req.contextValues);
    if (role === undefined) return next(req);
    const free = slots.acquire(role);
    const release = () => {
      req.signal.removeEventListener("abort", release);
      free();
    };
    // The call's signal aborts when it ends in any way; the stream's own end releases it too.
    req.signal.addEventListener("abort", release);
    if (req.signal.aborted) release();
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: releasing(res.message, release) } : res;
    } catch (error) {
      release();
      throw error;
    }
  };
}

async function* releasing<T>(messages: AsyncIterable<T>, release: () => void): AsyncGenerator<T> {
  try {
    yield* messages;
  } finally {
    release();
  }
}
