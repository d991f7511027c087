// A chain of end-to-end tests sharing one expensive fixture (a booted QEMU cluster): each step names
// the steps it needs, and one that cannot run because a step it needs failed says exactly that,
// instead of failing with whatever its calls hit on a cluster that is not there (a cascade of
// confusing errors). Bun has no way for a running test to mark itself skipped: such a step fails
// at once with a StepNotRunError naming the step that failed.

export type StepOutcome = "passed" | "failed" | "not run";

export class StepNotRunError extends Error {
  override readonly name = "StepNotRunError";
  readonly code = "NotRun";
}

/** bun:test's `test` (injected, so that the chain itself is tested without registering tests). */
export type RegisterTest = (name: string, body: () => Promise<void>, timeoutMs?: number) => void;

export class Steps {
  readonly #outcomes = new Map<string, StepOutcome>();

  constructor(private readonly register: RegisterTest) {}

  /** Registers the test `name`: a step needing `needs` (see `step`). */
  test(name: string, needs: readonly string[], body: () => Promise<void> | void, timeoutMs?: number): void {
    this.register(name, this.step(name, needs, body), timeoutMs);
  }

  outcome(name: string): StepOutcome | undefined {
    return this.#outcomes.get(name);
  }

  /**
   * The body of the test `name`: runs `body` once every step in `needs` has passed; otherwise throws
   * a StepNotRunError naming the first that did not. Records how it went, for the steps after it.
   */
  step(name: string, needs: readonly string[], body: () => Promise<void> | void): () => Promise<void> {
    return async () => {
      for (const need of needs) {
        const outcome = this.#outcomes.get(need);
        if (outcome === "passed") continue;
        this.#outcomes.set(name, "not run");
        const why =
          outcome === undefined
            ? "which has not run"
            : outcome === "failed"
              ? "which failed"
              : "which was not run";
        throw new StepNotRunError(`not run: this step needs "${need}", ${why}; see that test's error`);
      }
      try {
        await body();
        this.#outcomes.set(name, "passed");
      } catch (error) {
        this.#outcomes.set(name, "failed");
        throw error;
      }
    };
  }
}
