// PID 1's side of the config worker (config-worker.ts): validation and diffs of applied configs run
// on the worker's thread, so that machined's event loop keeps serving the API, reaping and supervising
// while a config is checked (issue 10: the worst config the schema accepts costs seconds). One request
// runs at a time, within a time budget: past it the worker is terminated (a new one starts for the next
// request) and the request fails. The worker starts on the first request and is terminated once idle,
// so an idle node does not keep its heap. A worker that fails (cannot start, throws, exits) fails the
// request it had; it never takes machined down.
import type { Mode } from "@bronze/config-schema";
import { type Clock, systemClock } from "../clock.ts";
import type {
  ConfigCheckRequest,
  ConfigValidation,
  ConfigWorkerMessage,
  ConfigWorkerReply,
} from "./config-check.ts";

/** How long one validation or diff may take in the worker (the schema's worst accepted config: ~2 s). */
export const CONFIG_CHECK_BUDGET_MS = 10_000;

/** How long an idle worker is kept for the next request (an apply asks twice: validation, then diff). */
export const CONFIG_WORKER_IDLE_MS = 5_000;

/** The worker's entry point, relative to machined's sources (apps/machined/src): also the binary's. */
export const CONFIG_WORKER_ENTRY = "config/config-worker.ts";

/**
 * The worker's URL. From the sources it is beside this module. In the compiled node binary every
 * module's import.meta.url is the executable's entry (file:///$bunfs/root/<name>), at the root of its
 * entry points (apps/machined/src), where `bun build --compile` put the worker's.
 */
export function configWorkerUrl(moduleUrl: string = import.meta.url): URL {
  return moduleUrl.startsWith("file:///$bunfs/")
    ? new URL(`./${CONFIG_WORKER_ENTRY}`, moduleUrl)
    : new URL("./config-worker.ts", moduleUrl);
}

/** Validation, diffs and redaction of configs, off the caller's thread (ConfigApplier's, the API's). */
export interface ConfigCheck {
  validate(text: string, mode: Mode): Promise<ConfigValidation>;
  diff(base: string, text: string, names: { from: string; to: string }): Promise<string>;
  /** redactConfig's text; its ConfigError comes back as a Failed ConfigWorkerError. */
  redact(text: string): Promise<string>;
}

export type ConfigWorkerErrorCode =
  | "Timeout" // the request took longer than the budget: the worker was terminated
  | "Failed"; // the worker could not start, threw, or exited

export class ConfigWorkerError extends Error {
  override readonly name = "ConfigWorkerError";
  constructor(
    readonly code: ConfigWorkerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ConfigWorkerOptions {
  /** The worker's entry point (default configWorkerUrl()). */
  readonly url?: string | URL;
  readonly budgetMs?: number;
  readonly idleMs?: number;
  /** Times the budget and the idle period. */
  readonly clock?: Clock;
}

interface Pending {
  readonly id: number;
  readonly settle: (reply: ConfigWorkerReply | ConfigWorkerError) => void;
}

const WHAT: Record<ConfigCheckRequest["kind"], string> = {
  validate: "validating the config",
  diff: "diffing the config against the one in force",
  redact: "redacting the config",
};

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Bun's worker errors quote the source around the throw: only the "error: ..." line is kept. */
function errorLine(message: string): string {
  const line = /^error: (.*)$/m.exec(message)?.[1] ?? message.split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

export class ConfigWorkerClient implements ConfigCheck {
  readonly #url: string | URL;
  readonly #budgetMs: number;
  readonly #idleMs: number;
  readonly #clock: Clock;
  #worker: Worker | undefined;
  #pending: Pending | undefined;
  #idle: AbortController | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #started = 0;

  constructor(options: ConfigWorkerOptions = {}) {
    this.#url = options.url ?? configWorkerUrl();
    this.#budgetMs = options.budgetMs ?? CONFIG_CHECK_BUDGET_MS;
    this.#idleMs = options.idleMs ?? CONFIG_WORKER_IDLE_MS;
    this.#clock = options.clock ?? systemClock;
  }

  /** How many workers were started so far (a new one after a timeout, a failure or an idle period). */
  get started(): number {
    return this.#started;
  }

  /** Whether a worker is running (started and not yet terminated). */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  validate(text: string, mode: Mode): Promise<ConfigValidation> {
    return this.#request({ kind: "validate", text, mode }) as Promise<ConfigValidation>;
  }

  diff(base: string, text: string, names: { from: string; to: string }): Promise<string> {
    return this.#request({ kind: "diff", base, text, ...names }) as Promise<string>;
  }

  redact(text: string): Promise<string> {
    return this.#request({ kind: "redact", text }) as Promise<string>;
  }

  /** Terminates the worker (a request it has fails); a later request starts a new one. */
  close(): void {
    this.#stop(new ConfigWorkerError("Failed", "the config worker was closed"));
  }

  /** One request at a time: the budget counts the worker's time on this request only. */
  #request(request: ConfigCheckRequest): Promise<ConfigValidation | string> {
    const run = this.#queue.then(
      () => this.#run(request),
      () => this.#run(request),
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  async #run(request: ConfigCheckRequest): Promise<ConfigValidation | string> {
    this.#idle?.abort();
    this.#idle = undefined;
    const what = WHAT[request.kind];
    const id = this.#nextId++;
    const budget = new AbortController();
    const answer = new Promise<ConfigWorkerReply | ConfigWorkerError>((settle) => {
      this.#pending = { id, settle };
    });
    try {
      const worker = this.#worker ?? this.#start();
      const message: ConfigWorkerMessage = { id, request };
      worker.postMessage(message);
    } catch (error) {
      this.#stop(new ConfigWorkerError("Failed", `cannot post to the config worker: ${describe(error)}`));
    }
    this.#clock.sleep(this.#budgetMs, budget.signal).then((elapsed) => {
      if (!elapsed) return;
      this.#stop(
        new ConfigWorkerError(
          "Timeout",
          `${what} took longer than ${seconds(this.#budgetMs)} (the limit): it was stopped`,
        ),
      );
    });
    const reply = await answer;
    budget.abort();
    this.#pending = undefined;
    this.#armIdle();
    if (reply instanceof ConfigWorkerError) throw reply;
    if (!reply.ok)
      throw new ConfigWorkerError("Failed", `${what} failed in the config worker: ${reply.error}`);
    return reply.value;
  }

  #start(): Worker {
    // smol: a small heap (Bun ignores resourceLimits: the schema's input limits bound what it holds).
    const worker = new Worker(this.#url, { smol: true, ref: false });
    this.#started++;
    this.#worker = worker;
    const fail = (why: string) => {
      if (this.#worker === worker) this.#stop(new ConfigWorkerError("Failed", `the config worker ${why}`));
    };
    worker.addEventListener("message", (event: MessageEvent<ConfigWorkerReply>) => {
      const pending = this.#pending;
      if (this.#worker === worker && pending !== undefined && event.data.id === pending.id) {
        pending.settle(event.data);
      }
    });
    worker.addEventListener("error", (event: ErrorEvent) => fail(`failed: ${errorLine(event.message)}`));
    worker.addEventListener("messageerror", () => fail("sent a message that cannot be read"));
    worker.addEventListener("close", (event: CloseEvent) => fail(`exited (code ${event.code})`));
    return worker;
  }

  /** Terminates the worker; the request it had fails with `error`. */
  #stop(error: ConfigWorkerError): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#idle?.abort();
    this.#idle = undefined;
    this.#pending?.settle(error);
    this.#pending = undefined;
    try {
      worker?.terminate();
    } catch {
      // already gone
    }
  }

  #armIdle(): void {
    if (this.#worker === undefined) return;
    const idle = new AbortController();
    this.#idle = idle;
    this.#clock.sleep(this.#idleMs, idle.signal).then((elapsed) => {
      if (elapsed && this.#idle === idle && this.#pending === undefined) {
        this.#stop(new ConfigWorkerError("Failed", "the config worker was idle"));
      }
    });
  }
}
