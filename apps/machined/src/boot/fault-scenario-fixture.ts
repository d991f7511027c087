// A fault-injection run of machined's supervision, executed as its own process by
// fault-scenario.test.ts: services that throw or reject from every hook, a crashing process, a
// process that ignores SIGTERM, a boot task that throws, and a throwing event listener, next to
// services that must keep running. No process guards are installed: an exception or rejection that
// escaped would end this process with a non-zero code. It prints one JSON report and ends by itself.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { systemClock } from "../clock.ts";
import { ConfigStore } from "../config/config-store.ts";
import { parseKernelArgs } from "../node/kernel-args.ts";
import { nodePaths } from "../node/node-paths.ts";
import { createBunSpawn } from "../supervisor/runners/bun-spawn.ts";
import { InProcessRunner } from "../supervisor/runners/in-process-runner.ts";
import { ProcessRunner } from "../supervisor/runners/process-runner.ts";
import type { ExitStatus, RunHandle, Runner, ServiceDefinition } from "../supervisor/service.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { FakeSys } from "../testing/fake-sys.ts";
import { Sequencer } from "./sequencer.ts";

const dir = mkdtempSync(join(tmpdir(), "faults-"));
const internal: string[] = [];
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const supervisor = new Supervisor({
  stopGraceMs: 400,
  logDir: join(dir, "log"),
  onInternalError: (e) => internal.push(message(e)),
});
supervisor.events.subscribe(() => {
  throw new Error("a listener that throws on every event");
});
const spawn = createBunSpawn();

const forever = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
const idle = () => new InProcessRunner(async ({ signal }) => forever(signal));
const once = (id: string, more: Partial<ServiceDefinition>): ServiceDefinition => ({
  id,
  dependsOn: [],
  restart: "once",
  runner: idle(),
  ...more,
});

/** A runner whose stop rejects (or throws) while its run still ends shortly after. */
function stopFails(how: "rejects"): Runner {
  return {
    kind: "faulty",
    async start(): Promise<RunHandle> {
      let end: (s: ExitStatus) => void = () => {};
      const exited = new Promise<ExitStatus>((r) => {
        end = r;
      });
      return {
        exited,
        async stop() {
          // The scenario itself: the run ends a little after its stop has failed.
          setTimeout(() => end({ code: null, signal: "SIGTERM" }), 50);
          throw new Error(`stop ${how}`);
        },
      };
    },
  };
}

const healthThat = (check: (signal: AbortSignal) => Promise<void>) => ({
  initialDelayMs: 0,
  periodMs: 100,
  timeoutMs: 200,
  check,
});

supervisor.register(
  once("pre-throws", {
    pre: () => {
      throw new Error("pre throws");
    },
  }),
  once("pre-rejects", { pre: async () => Promise.reject(new Error("pre rejects")) }),
  once("start-throws", {
    runner: {
      kind: "faulty",
      start: () => {
        throw new Error("start throws");
      },
    },
  }),
  once("start-rejects", {
    runner: { kind: "faulty", start: async () => Promise.reject(new Error("start rejects")) },
  }),
  once("condition-throws", {
    condition: {
      description: "something impossible",
      wait: () => {
        throw new Error("condition throws");
      },
    },
  }),
  once("health-throws", {
    healthCheck: healthThat(() => {
      throw new Error("health throws");
    }),
  }),
  once("health-rejects", {
    healthCheck: healthThat(async () => Promise.reject(new Error("health rejects"))),
  }),
  once("stop-rejects", { runner: stopFails("rejects") }),
  {
    id: "crasher",
    dependsOn: [],
    restart: "forever",
    backoff: { initialMs: 100, factor: 2, maxMs: 400 },
    runner: new ProcessRunner({ cmd: ["/bin/sh", "-c", "echo dying; exit 3"], spawn }),
  },
  once("hangs-on-stop", {
    stopGraceMs: 300,
    runner: new ProcessRunner({
      cmd: ["/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
      spawn,
    }),
  }),
  once("survivor", { runner: new ProcessRunner({ cmd: ["/bin/sleep", "30"], spawn }) }),
  once("survivor-dependent", { dependsOn: ["survivor", "health-throws"] }),
  once("survivor-in-process", { dependsOn: ["survivor"] }),
);
supervisor.startAll();

const snapshot = () =>
  Object.fromEntries(
    supervisor.list().map((s) => [
      s.id,
      {
        state: s.state,
        message: s.message,
        pid: s.pid ?? null,
        runs: s.runs,
        healthy: s.health?.healthy ?? null,
        health: s.health?.message ?? null,
      },
    ]),
  );

// Settled: every faulty service has failed (or is unhealthy), the crasher has been restarted three
// times, and hangs-on-stop has set its trap.
const status = (id: string) => supervisor.status(id);
const crashes = () => supervisor.events.tail(Number.POSITIVE_INFINITY, "crasher").map((e) => e.message);
await eventually(
  "the fault scenario settled",
  () =>
    ["pre-throws", "pre-rejects", "start-throws", "start-rejects", "condition-throws"].every(
      (id) => status(id).state === "Failed",
    ) &&
    ["health-throws", "health-rejects"].every((id) => status(id).health?.healthy === false) &&
    status("survivor-in-process").state === "Running" &&
    status("survivor-dependent").state === "Waiting" &&
    status("survivor").state === "Running" &&
    crashes().some((m) => m.includes("restarting in 400 ms (attempt 3)")) &&
    supervisor
      .logs("hangs-on-stop")
      .tail()
      .some((l) => l.text === "ready"),
  20_000,
  20,
);
const running = snapshot();
const crasherHistory = supervisor.events
  .tail(Number.POSITIVE_INFINITY, "crasher")
  .map((e) => `${e.state}: ${e.message}`);
const crasherLog = supervisor
  .logs("crasher")
  .tail()
  .map((l) => l.text);

// The boot sequence with a task that throws: the sequence fails, the services are untouched.
const paths = nodePaths(join(dir, "node"));
const exits: number[] = [];
const sequencer = new Sequencer({
  sys: new FakeSys(),
  clock: systemClock,
  log: () => {},
  supervisor,
  store: new ConfigStore(paths.state),
  args: parseKernelArgs(""),
  platform: "container",
  paths,
  network: () => {
    throw new Error("network task throws");
  },
  fetch: () => Promise.reject(new Error("no network")),
  variables: {
    mac: () => undefined,
    uuid: () => undefined,
    serial: () => undefined,
    hostname: () => undefined,
  },
  services: () => [],
  exit: (code) => void exits.push(code),
});
const boot = await sequencer.boot().then(
  () => "finished",
  (e) => `${(e as Error).name}: ${message(e)}`,
);
const bootFailure = sequencer.events.find((e) => e.state === "failed" && e.task !== undefined);
// The boot has settled, its failure handled: whatever it did to the services is done.
const afterBoot = snapshot();

// Shutdown stops everything, the faulty ones included.
await sequencer.shutdown();
const stopped = snapshot();
const hangsOnStopLog = supervisor
  .logs("hangs-on-stop")
  .tail()
  .map((l) => l.text);

rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    running,
    crasherHistory,
    crasherLog,
    boot,
    bootFailure,
    afterBoot,
    stopped,
    hangsOnStopLog,
    exits,
    internal,
  })}\n`,
);
