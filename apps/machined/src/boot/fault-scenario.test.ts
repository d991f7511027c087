// "A crashing runner or a thrown exception in any task never takes machined down": the fault
// scenario runs as its own process, without process guards, and must end by itself with code 0.
import { expect, test } from "bun:test";
import { join } from "node:path";

interface Snapshot {
  state: string;
  message: string;
  pid: number | null;
  runs: number;
  healthy: boolean | null;
  health: string | null;
}
interface Report {
  running: Record<string, Snapshot>;
  crasherHistory: string[];
  crasherLog: string[];
  boot: string;
  bootFailure: { sequence: string; phase: string; task: string; state: string; error: string };
  afterBoot: Record<string, Snapshot>;
  stopped: Record<string, Snapshot>;
  hangsOnStopLog: string[];
  exits: number[];
  internal: string[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("services throwing from every hook, a crashing process and a throwing boot task leave the process and the other services running", async () => {
  const proc = Bun.spawn(["bun", join(import.meta.dir, "fault-scenario-fixture.ts")], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  const r = JSON.parse(stdout) as Report;

  // Every failing hook ends its service Failed (or unhealthy) with the reason.
  const states = (s: Record<string, Snapshot>) =>
    Object.fromEntries(Object.entries(s).map(([id, v]) => [id, `${v.state}: ${v.message}`]));
  expect(states(r.running)).toMatchObject({
    "pre-throws": "Failed: Pre-start failed: pre throws",
    "pre-rejects": "Failed: Pre-start failed: pre rejects",
    "start-throws": "Failed: Failed to start: start throws",
    "start-rejects": "Failed: Failed to start: start rejects",
    "condition-throws": "Failed: Condition failed: condition throws",
    "health-throws": "Running: Health check failed: health throws",
    "health-rejects": "Running: Health check failed: health rejects",
    "survivor-dependent": "Waiting: Waiting for service health-throws",
    "survivor-in-process": "Running: Started",
  });
  expect(r.running["health-throws"]).toMatchObject({ healthy: false, health: "health throws" });

  // The crashing process is restarted with a growing backoff, and its state says why.
  expect(r.crasherHistory.slice(0, 6)).toEqual([
    expect.stringMatching(/^Running: Started \(pid \d+\)$/),
    "Waiting: Exited with code 3; restarting in 100 ms (attempt 1)",
    expect.stringMatching(/^Running: Started \(pid \d+\)$/),
    "Waiting: Exited with code 3; restarting in 200 ms (attempt 2)",
    expect.stringMatching(/^Running: Started \(pid \d+\)$/),
    "Waiting: Exited with code 3; restarting in 400 ms (attempt 3)",
  ]);
  const runs = r.running.crasher?.runs ?? 0;
  expect(runs).toBeGreaterThanOrEqual(3);
  // One "dying" per run (the last run may not have printed yet when the snapshot was taken).
  expect(r.crasherLog.length).toBeGreaterThanOrEqual(runs - 1);
  expect(r.crasherLog.length).toBeLessThanOrEqual(runs);
  expect(new Set(r.crasherLog)).toEqual(new Set(["dying"]));

  // The boot sequence reports its failing task; the services are not affected by it.
  expect(r.boot).toBe("SequenceError: task network (phase network) failed: network task throws");
  expect(r.bootFailure).toMatchObject({
    sequence: "boot",
    phase: "network",
    task: "network",
    state: "failed",
    error: "network task throws",
  });
  const survivor = r.running.survivor as Snapshot;
  expect(survivor.state).toBe("Running");
  expect(r.afterBoot.survivor).toEqual(survivor);
  expect(r.afterBoot["survivor-in-process"]?.state).toBe("Running");
  expect(r.afterBoot["hangs-on-stop"]?.state).toBe("Running");

  // Shutdown: everything stops; the process ignoring SIGTERM is killed after its 300 ms grace; a
  // stop() that rejects is reported as an internal error, not thrown.
  expect(r.stopped["hangs-on-stop"]?.message).toBe("Stopped: Killed by SIGKILL");
  expect(r.stopped["stop-rejects"]).toMatchObject({
    state: "Finished",
    message: "Stopped: Killed by SIGTERM",
  });
  expect(r.stopped.survivor?.message).toBe("Stopped: Killed by SIGTERM");
  expect(r.hangsOnStopLog.filter((l) => l !== "ready")).toEqual([
    "still running 300 ms after SIGTERM: sending SIGKILL",
  ]);
  expect(r.internal).toEqual(["stop rejects"]);
  expect(r.exits).toEqual([0]);
  for (const s of Object.values(r.stopped)) expect(["Finished", "Failed"]).toContain(s.state);
  for (const pid of [survivor.pid, r.running["hangs-on-stop"]?.pid]) expect(alive(pid as number)).toBe(false);
}, 30_000);
