import { type Clock, systemClock } from "../../clock.ts";
import type { ExitStatus, LogSink, RunContext, RunHandle, Runner } from "../service.ts";

export interface InProcessContext {
  readonly id: string;
  /** Aborted when the service is asked to stop. */
  readonly signal: AbortSignal;
  readonly log: LogSink;
  /** See RunContext.problem: what a body retrying for ever is stuck on (shown in its status). */
  readonly problem: (message: string) => void;
  /** See RunContext.recovered. */
  readonly recovered: (message: string) => void;
}

/** The service body: resolving (or returning a number, the exit code) ends the run; throwing fails it. */
// biome-ignore lint/suspicious/noConfusingVoidType: lets plain `async () => {}` bodies be services.
export type InProcessMain = (ctx: InProcessContext) => Promise<void | number>;

/**
 * Runs an async function as a service: for tests and for machined's own API server. Stopping aborts
 * its signal; a function that ignores it past the grace period is abandoned (reported as such).
 */
export class InProcessRunner implements Runner {
  readonly kind = "in-process";
  readonly #main: InProcessMain;
  readonly #clock: Clock;

  constructor(main: InProcessMain, options: { clock?: Clock } = {}) {
    this.#main = main;
    this.#clock = options.clock ?? systemClock;
  }

  async start(ctx: RunContext): Promise<RunHandle> {
    const abort = new AbortController();
    let settle: (status: ExitStatus) => void = () => {};
    const exited = new Promise<ExitStatus>((resolve) => {
      settle = resolve;
    });
    let done = false;
    const finish = (status: ExitStatus) => {
      if (done) return;
      done = true;
      settle(status);
    };
    Promise.resolve()
      .then(() =>
        this.#main({
          id: ctx.id,
          signal: abort.signal,
          log: ctx.log,
          problem: (message) => ctx.problem?.(message),
          recovered: (message) => ctx.recovered?.(message),
        }),
      )
      .then(
        (code) => finish({ code: typeof code === "number" ? code : 0, signal: null }),
        (err) => {
          const message = err instanceof Error ? err.message : String(err);
          ctx.log.line("system", `error: ${message}`);
          finish({ code: null, signal: null, error: `Failed: ${message}` });
        },
      );
    const clock = this.#clock;
    return {
      exited,
      async stop(graceMs: number): Promise<ExitStatus> {
        if (!done) {
          abort.abort();
          const stopped = await Promise.race([
            exited.then(() => true),
            clock.sleep(graceMs).then(() => false),
          ]);
          if (!stopped) {
            finish({ code: null, signal: null, error: `Did not stop within ${graceMs} ms (abandoned)` });
          }
        }
        return exited;
      },
    };
  }
}
