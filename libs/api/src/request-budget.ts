// How many request bytes a server (apid, trustd) holds in memory, and for how long: at most so many
// for one call, at most a budget over every call in flight, whatever the protocol, and a body must
// have arrived a while after its call began (a body that never ends would hold its stream, keep its
// connection from ever being idle, and on HTTP/1.1 keep connect draining before it answers even a
// refused call). apid runs under a 128 MiB memory limit: sixteen concurrent 8 MiB calls took it past
// 350 MiB. The limits are in server-limits.ts.
import type * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

/** The bytes of requests in flight, shared by every call of one server. */
export class RequestBudget {
  #used = 0;

  constructor(
    readonly capacity: number,
    /** The most one call may send. */
    readonly perCall: number,
    /** How long a call's request body may take to arrive. */
    readonly bodyTimeoutMs: number,
  ) {}

  get used(): number {
    return this.#used;
  }

  /** A new call's account; release() it when the call is over. */
  /** A call's charge; `perCall` lowers the most this one call may send (its method's limit). */
  charge(perCall = this.perCall): RequestCharge {
    return new RequestCharge(this, Math.min(perCall, this.perCall));
  }

  /** Takes `bytes` from the budget; false (nothing taken) when that would go past it. */
  tryTake(bytes: number): boolean {
    if (this.#used + bytes > this.capacity) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used -= bytes;
  }
}

/** The bytes one call holds against the budget, and its body's deadline. */
export class RequestCharge {
  #taken = 0;
  #released = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Rejects with DeadlineExceeded once the body has taken too long (never once it is complete). */
  readonly expired: Promise<never>;

  constructor(
    readonly budget: RequestBudget,
    /** The most this call may send. */
    readonly perCall: number = budget.perCall,
  ) {
    const seconds = budget.bodyTimeoutMs / 1000;
    this.expired = new Promise<never>((_, reject) => {
      this.#timer = setTimeout(
        () =>
          reject(
            new ConnectError(
              `the request did not arrive within ${seconds} s, the server's limit`,
              Code.DeadlineExceeded,
            ),
          ),
        budget.bodyTimeoutMs,
      );
    });
    this.expired.catch(() => {});
  }

  /** The body has arrived whole: its deadline no longer applies. */
  bodyComplete(): void {
    clearTimeout(this.#timer);
  }

  /** Counts `bytes` more of this call's request: the error to answer with when over a limit. */
  add(bytes: number): ConnectError | undefined {
    if (this.#released) return undefined;
    if (this.#taken + bytes > this.perCall) {
      return new ConnectError(
        `the request is larger than ${this.perCall} bytes, the limit for one call of this method`,
        Code.ResourceExhausted,
      );
    }
    if (!this.budget.tryTake(bytes)) {
      return new ConnectError(
        `the server is already holding ${this.budget.capacity} bytes of requests in flight, its limit: retry when calls in progress have ended`,
        Code.ResourceExhausted,
      );
    }
    this.#taken += bytes;
    return undefined;
  }

  /** The call is over: its bytes go back to the budget (idempotent). */
  release(): void {
    clearTimeout(this.#timer);
    if (this.#released) return;
    this.#released = true;
    this.budget.give(this.#taken);
    this.#taken = 0;
  }
}

/**
 * The request body of a call handled by connect (Connect, gRPC-web, HTTP/1.1): connect-node reads it
 * through `req.iterator()`, which this replaces on that one request with a metered one. A chunk past a
 * limit, or a body still incomplete at its deadline, ends the body with the ConnectError (ResourceExhausted,
 * DeadlineExceeded), which connect answers with.
 */
export function meterRequestBody(
  req: { iterator(options?: { destroyOnReturn?: boolean }): AsyncIterableIterator<unknown> },
  charge: RequestCharge,
): void {
  const original = req.iterator.bind(req);
  req.iterator = (options) => {
    const source = original(options);
    return (async function* () {
      try {
        for (;;) {
          const step = await Promise.race([source.next(), charge.expired]);
          if (step.done) break;
          const error = charge.add((step.value as Uint8Array).byteLength);
          if (error !== undefined) throw error;
          yield step.value;
        }
        charge.bodyComplete();
      } finally {
        // Not awaited: a read may still be pending (the deadline won the race).
        source.return?.()?.catch(() => {});
      }
    })();
  };
}

/**
 * Every request of a connect handler metered: its bytes against `budget` until its response closes,
 * its body against the deadline. For servers whose every call goes through connect (trustd).
 */
export function meteredHandler(
  budget: RequestBudget,
  handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
): (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void {
  return (req, res) => {
    const charge = budget.charge();
    res.once("close", () => charge.release());
    meterRequestBody(req as unknown as Parameters<typeof meterRequestBody>[0], charge);
    handler(req, res);
  };
}
