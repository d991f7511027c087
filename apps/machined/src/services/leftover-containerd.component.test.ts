import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive as alive, eventually } from "@bronze/testing";
import { systemClock } from "../clock.ts";
import { nodePaths } from "../node/node-paths.ts";
import { createBunSpawn } from "../supervisor/runners/bun-spawn.ts";
import { containerdPidfile, containerdService, socketConnectable } from "./containerd.ts";
import { isContainerdOf, stopLeftoverContainerd, writePidfile } from "./leftover-containerd.ts";

let root: string;
const children: Array<{ kill(signal?: number | NodeJS.Signals): void }> = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "leftover-ctrd-"));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

test("a containerd is this node's when started with its config", () => {
  expect(isContainerdOf(["/usr/bin/containerd", "--config", "/r/config.toml"], "/r/config.toml")).toBe(true);
  expect(isContainerdOf(["containerd", "--config", "/other/config.toml"], "/r/config.toml")).toBe(false);
  expect(isContainerdOf(["sleep", "--config", "/r/config.toml"], "/r/config.toml")).toBe(false);
  expect(isContainerdOf(["containerd"], "/r/config.toml")).toBe(false);
});

test("the real containerd a previous machined left on the node is stopped; its pidfile removed", async () => {
  const paths = nodePaths(root);
  await containerdService({ paths, spawn: createBunSpawn(), container: true }).pre?.();
  // what a machined killed with -9 leaves: its containerd, still serving the node's socket
  const leftover = Bun.spawn(["containerd", "--config", paths.containerdConfig], {
    stdout: "ignore",
    stderr: "ignore",
  });
  children.push(leftover);
  await eventually(
    "the leftover containerd serving",
    () =>
      socketConnectable(paths.containerdSocket).then(
        () => true,
        () => false,
      ),
    15_000,
  );
  const pidfile = containerdPidfile(paths);
  writePidfile(pidfile, leftover.pid);
  const lines: string[] = [];
  const stopped = await stopLeftoverContainerd({
    pidfile,
    config: paths.containerdConfig,
    clock: systemClock,
    log: (line) => lines.push(line),
  });
  expect(stopped).toBe(leftover.pid);
  expect(await leftover.exited).toBe(0); // SIGTERM: a clean shutdown
  expect(existsSync(pidfile)).toBe(false);
  expect(lines).toEqual([
    `containerd: stopping the containerd a previous machined left running (pid ${leftover.pid})`,
  ]);
});

test("a pidfile naming a process that is not this node's containerd leaves that process alone", async () => {
  const paths = nodePaths(root);
  const pidfile = join(root, "containerd.pid");
  const other = Bun.spawn(["sleep", "30"]);
  children.push(other);
  writePidfile(pidfile, other.pid);
  const options = { pidfile, config: paths.containerdConfig, clock: systemClock, log: () => {} };
  expect(await stopLeftoverContainerd(options)).toBeUndefined();
  expect(alive(other.pid)).toBe(true);
  expect(existsSync(pidfile)).toBe(false);
  // no pidfile at all: nothing to do
  expect(await stopLeftoverContainerd(options)).toBeUndefined();
});

test("a leftover that ignores SIGTERM gets SIGKILL after the grace period", async () => {
  const config = join(root, "config.toml");
  // argv: containerd -c <script> --config <config>, as far as /proc/<pid>/cmdline tells
  const stubborn = Bun.spawn([
    "bash",
    "-c",
    `exec -a containerd bash -c 'trap "" TERM; while :; do sleep 0.1; done' --config ${config}`,
  ]);
  children.push(stubborn);
  // exec'd, and past its trap: it has started a sleep
  await eventually(
    "the stubborn process ignoring SIGTERM",
    async () =>
      (await Bun.file(`/proc/${stubborn.pid}/cmdline`).text()).startsWith("containerd\0") &&
      (await Bun.file(`/proc/${stubborn.pid}/task/${stubborn.pid}/children`).text()).trim() !== "",
  );
  const pidfile = join(root, "containerd.pid");
  writePidfile(pidfile, stubborn.pid);
  const lines: string[] = [];
  const stopped = await stopLeftoverContainerd({
    pidfile,
    config,
    clock: systemClock,
    log: (line) => lines.push(line),
    graceMs: 300,
  });
  expect(stopped).toBe(stubborn.pid);
  await stubborn.exited;
  expect(stubborn.signalCode).toBe("SIGKILL");
  expect(lines.at(-1)).toBe(
    `containerd: pid ${stubborn.pid} still running 300 ms after SIGTERM: sending SIGKILL`,
  );
});
