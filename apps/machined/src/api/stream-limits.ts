import type { Role } from "@bronze/api";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { callerRoleOf } from "./role-context.ts";

/**
 * Streaming calls one role may have open at once on machined (Logs, Events, Dmesg, List, Read, Copy...):
 * each holds resources in PID 1 for as long as it lasts (a buffered message, a follower's queue, an
 * open file, up to 512 KiB of queued log lines). Per role, so that readers cannot take an admin's
 * share; unary calls are bounded by the session's stream cap (@bronze/api MACHINED_HTTP2_SETTINGS).
 */
export const STREAMS_PER_ROLE = 24;

export interface StreamLimiter {
  readonly interceptor: Interceptor;
  /** Streaming calls open now for `role`. */
  open(role: Role): number;
}

/**
 * Counts the streaming calls of each role (the role the authorize interceptor checked: it runs first)
 * and refuses one over `perRole` with RESOURCE_EXHAUSTED, before its request is read. A call's slot is
 * freed when it ends, however it ends (finished, failed, cancelled by the caller, server shutdown).
 */
export function createStreamLimiter(perRole = STREAMS_PER_ROLE): StreamLimiter {
  const open = new Map<Role, number>();
  const interceptor: Interceptor = (next) => async (req) => {
    if (!req.stream) return next(req);
    const role = callerRoleOf(req.contextValues);
    if (role === undefined) return next(req); // authorize refused it already
    const count = open.get(role) ?? 0;
    if (count >= perRole) {
      throw new ConnectError(
        `${role} has ${count} streaming calls open, the most one role may have (${perRole}): ` +
          "end one (a logs --follow, a dmesg --follow...) and retry",
        Code.ResourceExhausted,
      );
    }
    open.set(role, count + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      open.set(role, (open.get(role) ?? 1) - 1);
      req.signal.removeEventListener("abort", release);
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
  return { interceptor, open: (role) => open.get(role) ?? 0 };
}

async function* releasing<T>(messages: AsyncIterable<T>, release: () => void): AsyncGenerator<T> {
  try {
    yield* messages;
  } finally {
    release();
  }
}
