import { existsSync } from "node:fs";
import type { Clock } from "../clock.ts";

/**
 * Something a service waits for before it starts: network up, time synced, config loaded, a file.
 * `description` completes "Waiting for ..." in the service's Waiting event.
 */
export interface Condition {
  readonly description: string;
  /** Resolves true once the condition holds, false if `signal` aborts first; throws if it never can. */
  wait(signal: AbortSignal): Promise<boolean>;
}

/** A named boolean that others can wait on ("network up", "config loaded"). */
export class Flag {
  #set = false;
  readonly #waiters = new Set<() => void>();

  constructor(readonly name: string) {}

  get isSet(): boolean {
    return this.#set;
  }

  set(): void {
    if (this.#set) return;
    this.#set = true;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  clear(): void {
    this.#set = false;
  }

  /** Resolves true once set, false if `signal` aborts first. */
  wait(signal?: AbortSignal): Promise<boolean> {
    if (this.#set) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#waiters.delete(wake);
        resolve(false);
      };
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      };
      this.#waiters.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Number of pending waiters (tests check nothing leaks). */
  get waiters(): number {
    return this.#waiters.size;
  }
}

/** Holds until the flag is set. */
export function flagSet(flag: Flag, description: string = flag.name): Condition {
  return { description, wait: (signal) => flag.wait(signal) };
}

/** Holds once the promise resolves; a rejection fails the wait with its reason. */
export function promiseResolved(promise: Promise<unknown>, description: string): Condition {
  return { description, wait: (signal) => untilAborted(promise, signal) };
}

/** Resolves true when `work` completes, false if `signal` aborts first; rethrows `work`'s error. */
export function untilAborted(work: Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

export interface FileExistsOptions {
  readonly clock: Clock;
  /** How often to look (default 500 ms). */
  readonly pollMs?: number;
  readonly exists?: (path: string) => boolean;
}

/** Holds once `path` exists (checked now, then every `pollMs`). */
export function fileExists(path: string, options: FileExistsOptions): Condition {
  const { clock, pollMs = 500, exists = existsSync } = options;
  return {
    description: `${path} to exist`,
    async wait(signal) {
      for (;;) {
        if (signal.aborted) return false;
        if (exists(path)) return true;
        if (!(await clock.sleep(pollMs, signal))) return false;
      }
    },
  };
}

/** Holds when every condition holds. */
export function allOf(...conditions: Condition[]): Condition {
  return {
    description: conditions.map((c) => c.description).join(" and "),
    async wait(signal) {
      // An inner signal so that, when one condition throws, the others stop waiting too.
      const inner = new AbortController();
      const onAbort = () => inner.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const results = await Promise.all(conditions.map((c) => c.wait(inner.signal)));
        return results.every(Boolean) && !signal.aborted;
      } finally {
        signal.removeEventListener("abort", onAbort);
        inner.abort();
      }
    },
  };
}

/** Holds when any condition holds; the others stop waiting. */
export function anyOf(...conditions: Condition[]): Condition {
  return {
    description: conditions.map((c) => c.description).join(" or "),
    async wait(signal) {
      if (conditions.length === 0) return !signal.aborted;
      const inner = new AbortController();
      const onAbort = () => inner.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        return await new Promise<boolean>((resolve, reject) => {
          let pending = conditions.length;
          for (const c of conditions) {
            c.wait(inner.signal).then((ok) => {
              if (ok) resolve(true);
              else if (--pending === 0) resolve(false);
            }, reject);
          }
        });
      } finally {
        signal.removeEventListener("abort", onAbort);
        inner.abort();
      }
    },
  };
}
