import { describe, expect, test } from "bun:test";
import { type ControlledRun, ControlledRunner } from "../testing/controlled-runner.ts";
import { FakeClock, settle } from "../testing/fake-clock.ts";
import { promiseResolved } from "./condition.ts";
import type { ExitStatus, RunContext, RunHandle, Runner, ServiceDefinition } from "./service.ts";
import { ABANDON_MARGIN_MS, type DependencyView, ServiceRunner } from "./service-runner.ts";
import type { ServiceEvent } from "./service-state.ts";

function make(def: Partial<ServiceDefinition> & { id?: string }, deps?: DependencyView) {
  const clock = new FakeClock();
  const events: Array<Omit<ServiceEvent, "seq">> = [];
  const internal: unknown[] = [];
  const logged: string[] = [];
  const runner = new ServiceRunner(
    { id: "svc", dependsOn: [], runner: new ControlledRunner(), restart: "once", ...def },
    {
      clock,
      log: { line: (_s, t) => logged.push(t) },
      emit: (e) => events.push(e),
      deps: deps ?? { isUp: () => true, onChange: () => () => {} },
      stopGraceMs: 1000,
      onInternalError: (e) => internal.push(e),
    },
  );
  return { clock, events, internal, logged, runner };
}

/** A run that never exits by itself and whose stop() does what it is told (throw, reject...). */
function stubbornRun(stop: () => Promise<ExitStatus>): RunHandle {
  return { pid: 4242, exited: new Promise<ExitStatus>(() => {}), stop };
}

describe("ServiceRunner", () => {
  test("starts Initialized, inactive; stop before start is a no-op", async () => {
    const { runner, events } = make({});
    expect(runner.status).toMatchObject({ state: "Initialized", runs: 0, up: false, runner: "controlled" });
    await runner.stop();
    expect(events).toEqual([]);
  });

  test("a condition that fails ends the service Failed with the reason", async () => {
    const { runner, events } = make({
      condition: promiseResolved(Promise.reject(new Error("no config source left")), "config loaded"),
    });
    runner.start();
    await runner.settled();
    expect(events.map((e) => `${e.state}: ${e.message}`)).toEqual([
      "Waiting: Waiting for config loaded",
      "Failed: Condition failed: no config source left",
    ]);
  });

  test("stop while the runner is still starting stops the run as soon as it exists", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const inner = new ControlledRunner();
    const slow: Runner = {
      kind: "slow",
      async start(ctx: RunContext): Promise<RunHandle> {
        await gate;
        return inner.start(ctx);
      },
    };
    const { runner, events, internal } = make({ runner: slow, restart: "forever" });
    runner.start();
    await settle();
    const stopped = runner.stop(500);
    release();
    await stopped;
    expect(inner.runs[0]?.stopRequested).toBe(true);
    expect(events.map((e) => e.state)).toEqual(["Finished"]);
    expect(events[0]?.message).toBe("Stopped: Killed by SIGTERM");
    expect(runner.active).toBe(false);
    expect(internal).toEqual([]);
  });

  test("waits on dependency changes, updating what it waits for", async () => {
    const up = new Set<string>();
    const listeners = new Set<() => void>();
    const deps: DependencyView = {
      isUp: (id) => up.has(id),
      onChange: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const notify = () => {
      for (const l of [...listeners]) l();
    };
    const { runner, events } = make({ dependsOn: ["containerd", "apid"] }, deps);
    runner.start();
    await settle();
    up.add("containerd");
    notify();
    notify(); // no change: no new event
    up.add("apid");
    notify();
    await settle();
    expect(events.map((e) => e.message)).toEqual([
      "Waiting for services containerd, apid",
      "Waiting for service apid",
      "Started",
    ]);
    expect(listeners.size).toBe(0);
  });

  test("a runner that throws synchronously is a failed start, not a crash", async () => {
    const broken: Runner = {
      kind: "broken",
      start: () => {
        throw new Error("sync boom");
      },
    };
    const { runner, events, logged } = make({ runner: broken });
    runner.start();
    await runner.settled();
    expect(events.at(-1)).toMatchObject({ state: "Failed", message: "Failed to start: sync boom" });
    expect(logged).toEqual(["Failed to start: sync boom"]);
  });

  test("a runner whose stop throws synchronously still stops: the run is abandoned after its grace", async () => {
    const { runner, clock, events, internal } = make({
      runner: {
        kind: "stubborn",
        start: async () =>
          stubbornRun(() => {
            throw new Error("cannot reach containerd");
          }),
      },
    });
    runner.start();
    await settle();
    expect(runner.status.state).toBe("Running");
    const stopped = runner.stop();
    await settle();
    expect(internal.map(String)).toEqual(["Error: cannot reach containerd"]);
    await clock.advance(1000 + ABANDON_MARGIN_MS);
    await stopped;
    expect(events.at(-1)?.message).toContain("abandoned");
  });

  test("a runner whose stop rejects and whose run never exits does not hang the stop", async () => {
    const { runner, clock, events } = make({
      runner: {
        kind: "stubborn",
        start: async () => stubbornRun(() => Promise.reject(new Error("no answer"))),
      },
    });
    runner.start();
    await settle();
    let done = false;
    const stopped = runner.stop().then(() => {
      done = true;
    });
    await clock.advance(1000);
    expect(done).toBe(false);
    await clock.advance(ABANDON_MARGIN_MS);
    await stopped;
    expect(done).toBe(true);
    expect(events.at(-1)?.message).toBe(
      `Stopped: Did not exit within ${1000 + ABANDON_MARGIN_MS} ms of being stopped; abandoned`,
    );
  });

  test("a run stuck retrying shows its error in the status: one event per new error, repeats counted", async () => {
    const { runner, events } = make({ restart: "forever" });
    runner.start();
    await settle();
    const run = (runner.definition.runner as ControlledRunner).current as ControlledRun;
    run.ctx.problem?.("cannot get the certificates: commonName: must be a non-empty string");
    expect(runner.status).toMatchObject({
      state: "Running",
      message: "cannot get the certificates: commonName: must be a non-empty string",
    });
    run.ctx.problem?.("cannot get the certificates: commonName: must be a non-empty string");
    run.ctx.problem?.("cannot get the certificates: commonName: must be a non-empty string");
    expect(runner.status.message).toBe(
      "cannot get the certificates: commonName: must be a non-empty string (3 times since 2025-01-01T00:00:00.000Z)",
    );
    run.ctx.problem?.("cannot reach trustd");
    run.ctx.recovered?.("certificates written");
    // recovered without a problem says nothing more
    run.ctx.recovered?.("certificates written again");
    expect(events.map((e) => `${e.state}: ${e.message}`)).toEqual([
      "Running: Started",
      "Running: cannot get the certificates: commonName: must be a non-empty string",
      "Running: cannot reach trustd",
      "Running: certificates written",
    ]);
    expect(runner.status.message).toBe("certificates written");
    // A run that has ended reports nothing.
    run.exit(1);
    await settle();
    run.ctx.problem?.("late");
    expect(events.map((e) => e.message)).not.toContain("late");
  });

  test("while a problem lasts, a health change is an event but the status keeps the problem", async () => {
    let healthy = true;
    const { runner, events, clock } = make({
      healthCheck: {
        initialDelayMs: 0,
        periodMs: 100,
        timeoutMs: 50,
        check: async () => {
          if (!healthy) throw new Error("not yet");
        },
      },
    });
    runner.start();
    await settle();
    const run = (runner.definition.runner as ControlledRunner).current as ControlledRun;
    run.ctx.problem?.("stuck");
    healthy = false;
    await clock.advance(100);
    expect(events.at(-1)).toMatchObject({ message: "Health check failed: not yet", healthy: false });
    expect(runner.status.message).toBe("stuck");
  });

  test("a health check is given the run's pid; health is reset when the run ends", async () => {
    const pids: Array<number | undefined> = [];
    const { runner, clock } = make({
      runner: new ControlledRunner({ pid: 4321 }),
      restart: "forever",
      backoff: { initialMs: 1000 },
      healthCheck: {
        initialDelayMs: 50,
        periodMs: 100,
        timeoutMs: 50,
        check: async (_signal, run) => {
          pids.push(run.pid);
        },
      },
    });
    runner.start();
    await settle();
    await clock.advance(50);
    expect(runner.status.health?.healthy).toBe(true);
    expect(pids[0]).toBeGreaterThanOrEqual(4321);
    expect(pids[0]).toBe(runner.status.pid as number);
    (runner.definition.runner as ControlledRunner).current?.exit(1);
    await settle();
    // Waiting to restart: the last run's OK is not shown as this state's health.
    expect(runner.status.state).toBe("Waiting");
    expect(runner.status.health).toBeUndefined();
    await clock.advance(1000);
    expect(runner.status.state).toBe("Running");
    expect(runner.status.health?.healthy).toBeUndefined();
  });

  test("event times come from the clock", async () => {
    const { runner, events, clock } = make({ restart: "forever", backoff: { initialMs: 100 } });
    runner.start();
    await settle();
    (runner.definition.runner as ControlledRunner).current?.exit(1);
    await settle();
    await clock.advance(100);
    expect(events.map((e) => e.time - clock.now())).toEqual([-100, -100, 0]);
  });
});
