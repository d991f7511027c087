import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlledRunner } from "../testing/controlled-runner.ts";
import { FakeClock, settle } from "../testing/fake-clock.ts";
import { Flag, flagSet } from "./condition.ts";
import { InProcessRunner } from "./runners/in-process-runner.ts";
import { type ServiceDefinition, SkipServiceError } from "./service.ts";
import { canTransition } from "./service-state.ts";
import { findCycle, Supervisor } from "./supervisor.ts";
import { SupervisorError } from "./supervisor-error.ts";

function setup(options: { stopGraceMs?: number } = {}) {
  const clock = new FakeClock();
  const internal: unknown[] = [];
  const sup = new Supervisor({ clock, onInternalError: (e) => internal.push(e), ...options });
  return { clock, sup, internal };
}

function svc(id: string, overrides: Partial<ServiceDefinition> = {}): ServiceDefinition {
  return { id, dependsOn: [], runner: new ControlledRunner(), restart: "once", ...overrides };
}

function history(sup: Supervisor, id: string): string[] {
  return sup.events.tail(Number.POSITIVE_INFINITY, id).map((e) => `${e.state}: ${e.message}`);
}

/** Every service's events form a valid path through the state machine. */
function expectValidTransitions(sup: Supervisor) {
  for (const id of sup.ids()) {
    let from = "Initialized" as Parameters<typeof canTransition>[0];
    for (const e of sup.events.tail(Number.POSITIVE_INFINITY, id)) {
      if (!canTransition(from, e.state)) throw new Error(`${id}: ${from} -> ${e.state} (${e.message})`);
      from = e.state;
    }
  }
}

describe("registration", () => {
  test("unknown dependencies, duplicates and bad ids are typed errors; nothing is half-registered", () => {
    const { sup } = setup();
    const codeOf = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(SupervisorError);
        return [(e as SupervisorError).code, (e as SupervisorError).message];
      }
      throw new Error("no error");
    };
    expect(codeOf(() => sup.register(svc("apid", { dependsOn: ["containerd"] })))).toEqual([
      "UnknownDependency",
      "service apid depends on unknown service containerd",
    ]);
    expect(codeOf(() => sup.register(svc("a"), svc("a")))).toEqual([
      "DuplicateService",
      "service a is already registered",
    ]);
    expect(sup.ids()).toEqual([]);
    sup.register(svc("containerd"), svc("apid", { dependsOn: ["containerd"] }));
    expect(sup.ids()).toEqual(["containerd", "apid"]);
    expect(codeOf(() => sup.register(svc("containerd")))[0]).toBe("DuplicateService");
    expect(codeOf(() => sup.register(svc("Bad Id")))[0]).toBe("InvalidService");
    expect(codeOf(() => sup.register(svc("self", { dependsOn: ["self"] })))[1]).toContain(
      "cannot depend on itself",
    );
    expect(codeOf(() => sup.register(svc("x", { backoff: { factor: 0 } })))[1]).toContain("factor");
    expect(
      codeOf(() =>
        sup.register(
          svc("h", { healthCheck: { initialDelayMs: 0, periodMs: 0, timeoutMs: 1, check: async () => {} } }),
        ),
      )[1],
    ).toContain("periodMs");
  });

  test("dependency cycles are detected with their path", () => {
    const { sup } = setup();
    sup.register(svc("base"));
    let err: SupervisorError | undefined;
    try {
      sup.register(
        svc("a", { dependsOn: ["base", "c"] }),
        svc("b", { dependsOn: ["a"] }),
        svc("c", { dependsOn: ["b"] }),
      );
    } catch (e) {
      err = e as SupervisorError;
    }
    expect(err?.code).toBe("DependencyCycle");
    expect(err?.message).toBe("dependency cycle: a -> c -> b -> a");
    expect(sup.ids()).toEqual(["base"]);
  });

  test("findCycle on a diamond finds none", () => {
    const graph: Record<string, string[]> = { top: ["l", "r"], l: ["bottom"], r: ["bottom"], bottom: [] };
    expect(findCycle((id) => graph[id], Object.keys(graph))).toBeUndefined();
  });

  test("unknown services are a typed error for control calls", async () => {
    const { sup } = setup();
    expect(() => sup.start("nope")).toThrow(SupervisorError);
    await expect(sup.stop("nope")).rejects.toMatchObject({ code: "UnknownService" });
    expect(() => sup.status("nope")).toThrow("unknown service nope");
  });
});

describe("starting", () => {
  test("dependencies gate start: B waits until A is running and healthy", async () => {
    const { sup, clock, internal } = setup();
    let aHealthy = false;
    const a = new ControlledRunner({ pid: 100 });
    const b = new ControlledRunner();
    sup.register(
      svc("a", {
        runner: a,
        restart: "forever",
        healthCheck: {
          initialDelayMs: 1000,
          periodMs: 1000,
          timeoutMs: 500,
          check: async () => {
            if (!aHealthy) throw new Error("not listening yet");
          },
        },
      }),
      svc("b", { dependsOn: ["a"], runner: b, restart: "forever" }),
    );
    sup.startAll();
    await settle();
    expect(sup.status("a")).toMatchObject({
      state: "Running",
      message: "Started (pid 101)",
      pid: 101,
      up: false,
    });
    expect(sup.status("b")).toMatchObject({ state: "Waiting", message: "Waiting for service a" });
    expect(b.runs).toHaveLength(0);

    await clock.advance(1000); // first health check fails
    expect(sup.status("a").health).toMatchObject({ healthy: false, message: "not listening yet" });
    expect(sup.status("b").state).toBe("Waiting");
    expect(b.runs).toHaveLength(0);

    aHealthy = true;
    await clock.advance(1000);
    expect(sup.status("a")).toMatchObject({ up: true, health: { healthy: true } });
    expect(sup.status("b").state).toBe("Running");
    expect(b.runs).toHaveLength(1);
    expect(history(sup, "a")).toEqual([
      "Running: Started (pid 101)",
      "Running: Health check failed: not listening yet",
      "Running: Health check successful",
    ]);
    expect(history(sup, "b")).toEqual(["Waiting: Waiting for service a", "Running: Started"]);
    expectValidTransitions(sup);
    expect(internal).toEqual([]);
  });

  test("a service depending on several lists what it still waits for", async () => {
    const { sup } = setup();
    const x = new ControlledRunner();
    const y = new ControlledRunner();
    sup.register(
      svc("x", { runner: x, condition: flagSet(new Flag("never")) }),
      svc("y", { runner: y, condition: flagSet(new Flag("later")) }),
      svc("z", { dependsOn: ["x", "y"] }),
    );
    sup.startAll();
    await settle();
    expect(sup.status("z").message).toBe("Waiting for services x, y");
  });

  test("a task (untilSuccess) dependency lets dependents start only once it has succeeded", async () => {
    const { sup, clock } = setup();
    const setupTask = new ControlledRunner();
    const main = new ControlledRunner();
    sup.register(
      svc("setup", { runner: setupTask, restart: "untilSuccess", backoff: { initialMs: 10 } }),
      svc("main", { dependsOn: ["setup"], runner: main }),
    );
    sup.startAll();
    await settle();
    expect(sup.status("setup")).toMatchObject({ state: "Running", up: false });
    setupTask.current?.exit(1);
    await clock.advance(10);
    expect(main.runs).toHaveLength(0);
    setupTask.current?.exit(0);
    await settle();
    expect(sup.status("setup")).toMatchObject({ state: "Finished", up: true });
    expect(main.runs).toHaveLength(1);
  });

  test("a once service is up while running, and after succeeding, not after failing", async () => {
    const { sup } = setup();
    const once = new ControlledRunner();
    sup.register(svc("once", { runner: once, restart: "once" }));
    sup.start("once");
    await settle();
    expect(sup.status("once").up).toBe(true);
    once.current?.exit(0);
    await settle();
    expect(sup.status("once").up).toBe(true);
    sup.start("once");
    await settle();
    once.current?.exit(2);
    await settle();
    expect(sup.status("once")).toMatchObject({ state: "Failed", up: false });
  });

  test("a condition holds the service in Waiting with its description", async () => {
    const { sup } = setup();
    const network = new Flag("network up");
    const runner = new ControlledRunner();
    sup.register(svc("kubelet", { runner, condition: flagSet(network) }));
    sup.start("kubelet");
    await settle();
    expect(sup.status("kubelet")).toMatchObject({ state: "Waiting", message: "Waiting for network up" });
    expect(runner.runs).toHaveLength(0);
    network.set();
    await settle();
    expect(sup.status("kubelet").state).toBe("Running");
  });

  test("pre runs before the runner; a throwing pre ends Failed and the others keep going", async () => {
    const { sup, internal } = setup();
    const order: string[] = [];
    const ok = new ControlledRunner();
    sup.register(
      svc("broken", {
        pre: async () => {
          throw new Error("cannot create /var/lib/etcd");
        },
      }),
      svc("fine", {
        runner: ok,
        pre: async () => {
          order.push("pre");
        },
      }),
    );
    expect(() => sup.startAll()).not.toThrow();
    await settle();
    expect(sup.status("broken")).toMatchObject({
      state: "Failed",
      message: "Pre-start failed: cannot create /var/lib/etcd",
    });
    expect(sup.status("fine").state).toBe("Running");
    expect(order).toEqual(["pre"]);
    expect(history(sup, "fine")).toEqual(["Preparing: Running pre-start tasks", "Running: Started"]);
    expect(internal).toEqual([]);
  });

  test("pre can skip a service", async () => {
    const { sup } = setup();
    sup.register(
      svc("trustd", {
        pre: async () => {
          throw new SkipServiceError("not a control-plane node");
        },
      }),
    );
    sup.startAll();
    await settle();
    expect(sup.status("trustd")).toMatchObject({ state: "Skipped", message: "not a control-plane node" });
  });

  test("a runner that cannot start is a failed run (once: Failed)", async () => {
    const { sup } = setup();
    const runner = new ControlledRunner();
    runner.failNextStart("cannot start /usr/bin/containerd: ENOENT");
    sup.register(svc("containerd", { runner }));
    sup.startAll();
    await settle();
    expect(sup.status("containerd")).toMatchObject({
      state: "Failed",
      message: "Failed to start: cannot start /usr/bin/containerd: ENOENT",
    });
    expect(
      sup
        .logs("containerd")
        .tail()
        .map((l) => l.text),
    ).toEqual(["Failed to start: cannot start /usr/bin/containerd: ENOENT"]);
  });

  test("start of an active service is a no-op", async () => {
    const { sup } = setup();
    const runner = new ControlledRunner();
    sup.register(svc("a", { runner }));
    expect(sup.start("a")).toBe(true);
    await settle();
    expect(sup.start("a")).toBe(false);
    await settle();
    expect(runner.runs).toHaveLength(1);
  });
});

describe("restart policies", () => {
  test("forever restarts with growing backoff, capped", async () => {
    const { sup, clock } = setup();
    const runner = new ControlledRunner();
    sup.register(
      svc("etcd", { runner, restart: "forever", backoff: { initialMs: 100, maxMs: 400, factor: 2 } }),
    );
    sup.startAll();
    await settle();
    const delays: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const run = await runner.nthRun(i);
      run.exit(i % 2); // alternately 1 and 0: forever restarts after both
      await settle();
      const m = /restarting in (\d+) ms \(attempt (\d+)\)/.exec(sup.status("etcd").message);
      expect(m).not.toBeNull();
      delays.push(Number(m?.[1]));
      expect(sup.status("etcd").state).toBe("Waiting");
      await clock.advance(Number(m?.[1]) - 1);
      expect(runner.runs).toHaveLength(i); // not before the delay
      await clock.advance(1);
      expect(runner.runs).toHaveLength(i + 1);
    }
    expect(delays).toEqual([100, 200, 400, 400, 400]);
    expect(sup.status("etcd")).toMatchObject({ state: "Running", runs: 6 });
    expect(history(sup, "etcd")[1]).toBe("Waiting: Exited with code 1; restarting in 100 ms (attempt 1)");
    expect(history(sup, "etcd")[3]).toBe("Waiting: Exited successfully; restarting in 200 ms (attempt 2)");
    expectValidTransitions(sup);
  });

  test("once never restarts", async () => {
    const { sup, clock } = setup();
    const runner = new ControlledRunner();
    sup.register(svc("job", { runner, restart: "once" }));
    sup.startAll();
    await settle();
    runner.current?.exit(3);
    await settle();
    expect(sup.status("job")).toMatchObject({
      state: "Failed",
      message: "Exited with code 3",
      lastExit: { code: 3 },
    });
    await clock.advance(3_600_000);
    expect(runner.runs).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  test("untilSuccess restarts failures and stops after exit 0", async () => {
    const { sup, clock } = setup();
    const runner = new ControlledRunner();
    sup.register(svc("install", { runner, restart: "untilSuccess", backoff: { initialMs: 50 } }));
    sup.startAll();
    await settle();
    runner.current?.exit({ code: null, signal: "SIGSEGV" });
    await settle();
    expect(sup.status("install").message).toBe("Killed by SIGSEGV; restarting in 50 ms (attempt 1)");
    await clock.advance(50);
    runner.current?.exit(0);
    await settle();
    expect(sup.status("install")).toMatchObject({
      state: "Finished",
      message: "Exited successfully",
      runs: 2,
    });
    await clock.advance(60_000);
    expect(runner.runs).toHaveLength(2);
  });
});

describe("health", () => {
  test("a failing health check marks the service unhealthy with an event; recovery too", async () => {
    const { sup, clock } = setup();
    let fail = false;
    sup.register(
      svc("apid", {
        restart: "forever",
        healthCheck: {
          initialDelayMs: 0,
          periodMs: 1000,
          timeoutMs: 100,
          check: async () => {
            if (fail) throw new Error("connection refused");
          },
        },
      }),
    );
    const seen: Array<[string, boolean | undefined]> = [];
    sup.events.subscribe((e) => seen.push([e.message, e.healthy]));
    sup.startAll();
    await clock.advance(0);
    expect(sup.status("apid")).toMatchObject({ up: true, health: { healthy: true } });
    fail = true;
    await clock.advance(1000);
    expect(sup.status("apid")).toMatchObject({
      state: "Running",
      up: false,
      health: { healthy: false, message: "connection refused" },
    });
    await clock.advance(3000); // still failing: no new events
    fail = false;
    await clock.advance(1000);
    expect(seen).toEqual([
      ["Started", undefined],
      ["Health check successful", true],
      ["Health check failed: connection refused", false],
      ["Health check successful", true],
    ]);
  });

  test("a health check that hangs times out", async () => {
    const { sup, clock } = setup();
    sup.register(
      svc("slow", {
        restart: "forever",
        healthCheck: {
          initialDelayMs: 0,
          periodMs: 1000,
          timeoutMs: 250,
          check: () => new Promise(() => {}),
        },
      }),
    );
    sup.startAll();
    await clock.advance(250);
    expect(sup.status("slow").health).toMatchObject({ healthy: false, message: "timed out after 250 ms" });
  });
});

describe("stopping", () => {
  test("stopAll stops in reverse dependency order, independent ones in parallel", async () => {
    const { sup } = setup();
    const order: string[] = [];
    const stoppable = (id: string) =>
      new InProcessRunner(
        ({ signal }) =>
          new Promise<void>((resolve) => {
            signal.addEventListener("abort", () => {
              order.push(`stop ${id}`);
              // Stopping takes a moment: dependents must be fully down before their dependencies start stopping.
              setTimeout(() => {
                order.push(`down ${id}`);
                resolve();
              }, 5);
            });
          }),
      );
    sup.register(
      svc("containerd", { runner: stoppable("containerd"), restart: "forever" }),
      svc("apid", { runner: stoppable("apid"), dependsOn: ["containerd"], restart: "forever" }),
      svc("kubelet", { runner: stoppable("kubelet"), dependsOn: ["containerd", "apid"], restart: "forever" }),
      svc("udevd", { runner: stoppable("udevd"), restart: "forever" }),
    );
    sup.startAll();
    await sup.waitFor("kubelet", (s) => s.state === "Running");
    await sup.stopAll({ graceMs: 1000 });
    const pos = (s: string) => order.indexOf(s);
    expect(pos("down kubelet")).toBeLessThan(pos("stop apid"));
    expect(pos("down apid")).toBeLessThan(pos("stop containerd"));
    expect(pos("stop udevd")).toBeLessThan(pos("down kubelet")); // not held back by unrelated services
    for (const id of sup.ids()) {
      expect(sup.status(id)).toMatchObject({ state: "Finished", message: "Stopped: Exited successfully" });
    }
    expect(history(sup, "apid").slice(-2)).toEqual([
      "Stopping: Stopping (grace period 1000 ms)",
      "Finished: Stopped: Exited successfully",
    ]);
    expectValidTransitions(sup);
  });

  test("stopping a service waiting for a dependency or in backoff ends it without running it", async () => {
    const { sup } = setup();
    const flaky = new ControlledRunner();
    sup.register(
      svc("never", { condition: flagSet(new Flag("network up")) }),
      svc("dependent", { dependsOn: ["never"] }),
      svc("flaky", { runner: flaky, restart: "forever", backoff: { initialMs: 60_000, maxMs: 60_000 } }),
    );
    sup.startAll();
    await settle();
    flaky.current?.exit(1);
    await settle();
    expect(sup.status("flaky").state).toBe("Waiting");
    await sup.stopAll();
    expect(sup.status("dependent")).toMatchObject({ state: "Finished", message: "Stopped" });
    expect(sup.status("never")).toMatchObject({ state: "Finished", message: "Stopped" });
    expect(sup.status("flaky")).toMatchObject({ state: "Finished", message: "Stopped" });
    expect(flaky.runs).toHaveLength(1);
  });

  test("stop one, start it again, restart", async () => {
    const { sup } = setup();
    const runner = new ControlledRunner();
    sup.register(svc("apid", { runner, restart: "forever" }));
    sup.start("apid");
    await settle();
    await sup.stop("apid");
    expect(sup.status("apid").state).toBe("Finished");
    expect(runner.runs[0]?.stopRequested).toBe(true);
    expect(sup.start("apid")).toBe(true);
    await settle();
    expect(sup.status("apid")).toMatchObject({ state: "Running", runs: 1 });
    await sup.restart("apid");
    await settle();
    expect(runner.runs).toHaveLength(3);
    expect(sup.status("apid").state).toBe("Running");
    expectValidTransitions(sup);
  });

  test("a run that ignores stop is abandoned after the grace period (in-process)", async () => {
    const { sup, clock } = setup({ stopGraceMs: 5000 });
    sup.register(svc("stuck", { runner: new InProcessRunner(() => new Promise(() => {}), { clock }) }));
    sup.start("stuck");
    await settle();
    let done = false;
    void sup.stop("stuck").then(() => {
      done = true;
    });
    await clock.advance(4999);
    expect(done).toBe(false);
    await clock.advance(1);
    await settle();
    expect(done).toBe(true);
    expect(sup.status("stuck").message).toBe("Stopped: Did not stop within 5000 ms (abandoned)");
  });
});

describe("waitFor", () => {
  test("resolves on the matching state; abort rejects with a typed error", async () => {
    const { sup } = setup();
    const runner = new ControlledRunner();
    sup.register(svc("a", { runner }));
    const running = sup.waitFor("a", (s) => s.state === "Running");
    sup.start("a");
    expect((await running).state).toBe("Running");
    const ac = new AbortController();
    const never = sup.waitFor("a", (s) => s.state === "Skipped", ac.signal);
    ac.abort();
    await expect(never).rejects.toMatchObject({ code: "Aborted" });
  });
});

describe("log files", () => {
  test("a log file that cannot be written is one notice for the console, not an internal error per line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sup-logs-"));
    try {
      const internal: unknown[] = [];
      const notices: string[] = [];
      const sup = new Supervisor({
        clock: new FakeClock(),
        logDir: dir,
        onInternalError: (e) => internal.push(e),
        notice: (line) => notices.push(line),
      });
      const runner = new ControlledRunner();
      sup.register(svc("chatty", { runner }));
      // the log file's path is a directory: every write fails
      mkdirSync(join(dir, "chatty.log"));
      sup.start("chatty");
      const { ctx } = await runner.nthRun(1);
      for (let i = 0; i < 20; i++) {
        ctx.log.line("stdout", `line ${i}`);
        await settle(1);
      }
      expect(notices).toEqual([
        `log writes to ${join(dir, "chatty.log")} failing since 2025-01-01T00:00:00.000Z: EISDIR`,
      ]);
      expect(internal).toEqual([]);
      // the lines are still in memory
      expect(sup.logs("chatty").tail().length).toBe(20);
      await sup.stopAll();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
