import { join } from "node:path";
import { type Clock, systemClock } from "../clock.ts";
import { EventLog } from "./event-log.ts";
import { healthCheckProblem } from "./health-check.ts";
import { LogBuffer } from "./logs/log-buffer.ts";
import { LogFile } from "./logs/log-file.ts";
import { ServiceLog } from "./logs/service-log.ts";
import { backoffProblem, DEFAULT_BACKOFF } from "./restart-policy.ts";
import type { ServiceDefinition, ServiceStatus } from "./service.ts";
import { ServiceRunner } from "./service-runner.ts";
import type { ServiceEvent } from "./service-state.ts";
import { SupervisorError } from "./supervisor-error.ts";

export interface SupervisorOptions {
  readonly clock?: Clock;
  /** Grace period between SIGTERM and SIGKILL when stopping (default 10 s; per service `stopGraceMs`). */
  readonly stopGraceMs?: number;
  /** Events kept (default 1000). */
  readonly maxEvents?: number;
  /** When set, each service's output is also appended to `<logDir>/<id>.log`. */
  readonly logDir?: string;
  /** In-memory output kept per service (default 256 KiB). */
  readonly logBufferBytes?: number;
  /** Log file size before rotation to `.1` (default 10 MiB). */
  readonly logFileMaxBytes?: number;
  /** Bugs: reported, never thrown (this runs in PID 1). */
  readonly onInternalError?: (error: unknown) => void;
  /** One-line notices for the console: a log file failing to be written (rate-limited), then resuming. */
  readonly notice?: (line: string) => void;
}

/** What a service id may be (also checked by the API before it looks a caller's id up). */
export const SERVICE_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]*$/;

interface Entry {
  readonly runner: ServiceRunner;
  readonly buffer: LogBuffer;
  readonly file: LogFile | undefined;
}

/**
 * The registry of services: starts them honouring dependencies, stops them in reverse dependency order,
 * keeps their events and logs. Runner failures become Failed states and events; only API misuse
 * (unknown service, bad registration) throws, as a SupervisorError.
 */
export class Supervisor {
  readonly events: EventLog;
  readonly #clock: Clock;
  readonly #options: SupervisorOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #changeListeners = new Set<() => void>();
  #notifyScheduled = false;

  constructor(options: SupervisorOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.events = new EventLog(options.maxEvents ?? 1000);
  }

  /**
   * Registers services (all or none): ids must be new and well-formed, dependencies known (registered
   * before or in the same call) and free of cycles.
   */
  register(...definitions: ServiceDefinition[]): void {
    const batch = new Map<string, ServiceDefinition>();
    for (const def of definitions) {
      validateDefinition(def);
      if (this.#entries.has(def.id) || batch.has(def.id)) {
        throw new SupervisorError("DuplicateService", `service ${def.id} is already registered`, def.id);
      }
      batch.set(def.id, def);
    }
    for (const def of batch.values()) {
      for (const dep of def.dependsOn) {
        if (!this.#entries.has(dep) && !batch.has(dep)) {
          throw new SupervisorError(
            "UnknownDependency",
            `service ${def.id} depends on unknown service ${dep}`,
            def.id,
          );
        }
      }
    }
    const cycle = findCycle(
      (id) => batch.get(id)?.dependsOn ?? this.#entries.get(id)?.runner.definition.dependsOn,
      [...batch.keys()],
    );
    if (cycle !== undefined) {
      throw new SupervisorError("DependencyCycle", `dependency cycle: ${cycle.join(" -> ")}`, cycle[0]);
    }
    for (const def of batch.values()) this.#add(def);
  }

  #add(def: ServiceDefinition): void {
    const o = this.#options;
    const buffer = new LogBuffer({ clock: this.#clock, maxBytes: o.logBufferBytes ?? 256 * 1024 });
    const file =
      o.logDir === undefined
        ? undefined
        : new LogFile(join(o.logDir, `${def.id}.log`), {
            maxBytes: o.logFileMaxBytes ?? 10 * 1024 * 1024,
            notice: (line) => this.#notice(line),
            now: () => this.#clock.now(),
          });
    const runner = new ServiceRunner(def, {
      clock: this.#clock,
      log: new ServiceLog(buffer, file),
      emit: (event) => this.#emit(event),
      deps: {
        isUp: (id) => this.#entries.get(id)?.runner.up ?? false,
        onChange: (listener) => {
          this.#changeListeners.add(listener);
          return () => {
            this.#changeListeners.delete(listener);
          };
        },
      },
      stopGraceMs: o.stopGraceMs ?? 10_000,
      onInternalError: (err) => this.#internalError(err),
    });
    this.#entries.set(def.id, { runner, buffer, file });
  }

  #emit(event: Omit<ServiceEvent, "seq">): void {
    this.events.append(event);
    // Dependency waiters re-check once per batch of changes, after the current call stack.
    if (this.#notifyScheduled) return;
    this.#notifyScheduled = true;
    queueMicrotask(() => {
      this.#notifyScheduled = false;
      for (const listener of [...this.#changeListeners]) {
        try {
          listener();
        } catch (err) {
          this.#internalError(err);
        }
      }
    });
  }

  #notice(line: string): void {
    try {
      this.#options.notice?.(line);
    } catch (err) {
      this.#internalError(err);
    }
  }

  #internalError(err: unknown): void {
    try {
      this.#options.onInternalError?.(err);
    } catch {}
  }

  #entry(id: string): Entry {
    const entry = this.#entries.get(id);
    if (entry === undefined) throw new SupervisorError("UnknownService", `unknown service ${id}`, id);
    return entry;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Service ids in registration order. */
  ids(): string[] {
    return [...this.#entries.keys()];
  }

  /** Starts every registered service not already active; each waits for its own dependencies. */
  startAll(): void {
    for (const { runner } of this.#entries.values()) runner.start();
  }

  /** Starts one service (it waits for its dependencies); false if it was already active. */
  start(id: string): boolean {
    return this.#entry(id).runner.start();
  }

  /** Stops one service (not its dependents). */
  async stop(id: string, options: { graceMs?: number } = {}): Promise<void> {
    await this.#entry(id).runner.stop(options.graceMs);
  }

  async restart(id: string, options: { graceMs?: number } = {}): Promise<void> {
    const { runner } = this.#entry(id);
    await runner.stop(options.graceMs);
    runner.start();
  }

  /**
   * Stops everything in reverse dependency order: a service is stopped once all services depending on
   * it have stopped; independent ones stop in parallel. Resolves when all are down.
   */
  async stopAll(options: { graceMs?: number } = {}): Promise<void> {
    const dependents = new Map<string, string[]>();
    for (const id of this.#entries.keys()) dependents.set(id, []);
    for (const { runner } of this.#entries.values()) {
      for (const dep of runner.definition.dependsOn) dependents.get(dep)?.push(runner.id);
    }
    const stopping = new Map<string, Promise<void>>();
    const stopOne = (id: string): Promise<void> => {
      let p = stopping.get(id);
      if (p === undefined) {
        p = (async () => {
          await Promise.all((dependents.get(id) ?? []).map(stopOne));
          await this.#entry(id).runner.stop(options.graceMs);
        })();
        stopping.set(id, p);
      }
      return p;
    };
    await Promise.all([...this.#entries.keys()].map(stopOne));
    for (const { file } of this.#entries.values()) file?.flush();
  }

  status(id: string): ServiceStatus {
    return this.#entry(id).runner.status;
  }

  list(): ServiceStatus[] {
    return [...this.#entries.values()].map((e) => e.runner.status);
  }

  /** The in-memory output of a service (tail, subscribe, follow). */
  logs(id: string): LogBuffer {
    return this.#entry(id).buffer;
  }

  /** Path of the service's log file, when a log directory is configured. */
  logFile(id: string): string | undefined {
    return this.#entry(id).file?.path;
  }

  /** Resolves with the status once `predicate` holds for service `id` (checked on every event). */
  waitFor(
    id: string,
    predicate: (status: ServiceStatus) => boolean,
    signal?: AbortSignal,
  ): Promise<ServiceStatus> {
    const { runner } = this.#entry(id);
    return new Promise((resolve, reject) => {
      if (predicate(runner.status)) return resolve(runner.status);
      const onAbort = () => {
        unsubscribe();
        reject(new SupervisorError("Aborted", `stopped waiting for service ${id}`, id));
      };
      const unsubscribe = this.events.subscribe((event) => {
        if (event.service !== id || !predicate(runner.status)) return;
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
        resolve(runner.status);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Flushes and closes the log files (after stopAll). */
  close(): void {
    for (const { file } of this.#entries.values()) file?.close();
  }
}

function validateDefinition(def: ServiceDefinition): void {
  const fail = (why: string) => {
    throw new SupervisorError("InvalidService", `service ${JSON.stringify(def.id)}: ${why}`, def.id);
  };
  if (typeof def.id !== "string" || !SERVICE_ID_PATTERN.test(def.id)) {
    fail("id must be lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  if (!["forever", "once", "untilSuccess"].includes(def.restart))
    fail(`unknown restart policy ${def.restart}`);
  if (new Set(def.dependsOn).size !== def.dependsOn.length) fail("dependsOn lists a service twice");
  if (def.dependsOn.includes(def.id)) fail("a service cannot depend on itself");
  const backoff = backoffProblem({ ...DEFAULT_BACKOFF, ...def.backoff });
  if (backoff !== undefined) fail(backoff);
  if (def.healthCheck !== undefined) {
    const health = healthCheckProblem(def.healthCheck);
    if (health !== undefined) fail(health);
  }
  if (def.stopGraceMs !== undefined && !(def.stopGraceMs >= 0)) fail("stopGraceMs must be >= 0");
}

/** A dependency cycle reachable from `starts`, as a path that ends where it begins, or undefined. */
export function findCycle(
  dependsOn: (id: string) => readonly string[] | undefined,
  starts: readonly string[],
): string[] | undefined {
  const done = new Set<string>();
  const onPath = new Map<string, number>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (done.has(id)) return undefined;
    const at = onPath.get(id);
    if (at !== undefined) return [...path.slice(at), id];
    onPath.set(id, path.length);
    path.push(id);
    for (const dep of dependsOn(id) ?? []) {
      const cycle = visit(dep);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    onPath.delete(id);
    done.add(id);
    return undefined;
  };
  for (const id of starts) {
    const cycle = visit(id);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}
