// The multi-call entry for real: machined in container mode on this host, with the real Debian
// containerd, booted from a config file and shut down with SIGTERM.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, readLines } from "@bronze/testing";
import { socketConnectable } from "./services/containerd.ts";
import { spawnMachined } from "./testing/container-machined.ts";
import { testNodeBinary } from "./testing/node-binary-fixture.ts";
import { killSandbox, sandboxProcesses } from "./testing/sandbox-processes.ts";

const MAIN = join(import.meta.dir, "main.ts");
const TESTDATA = join(import.meta.dir, "../../../libs/config-schema/testdata");

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "mdct-"));
});
afterEach(() => {
  // A failed test leaves machined, containerd, the shims and apid's container (found by its cgroup).
  killSandbox(root);
  rmSync(root, { recursive: true, force: true });
});

const startMachined = (...flags: string[]) => spawnMachined(root, ...flags);

describe("machined in container mode", () => {
  test("boots from --config with a real containerd, and SIGTERM shuts it down cleanly", async () => {
    const proc = await startMachined("--platform", "container", "--config", join(TESTDATA, "worker.yaml"));
    const out = readLines(proc.stdout);
    try {
      await out.waitFor(/\[boot\] sequence finished in \d+ ms/, 15_000);
      const started = await out.waitFor(/service containerd: Running \(Started \(pid (\d+)\)\)/, 1000);
      const containerdPid = Number(/pid (\d+)/.exec(started)?.[1]);
      expect(isAlive(containerdPid)).toBe(true);
      expect(readFileSync(`/proc/${containerdPid}/cmdline`, "utf8").split("\0")).toEqual([
        "containerd",
        "--config",
        join(root, "system/etc/containerd/config.toml"),
        "",
      ]);
      // containerd answers on its socket under the sandbox, and nothing leaked to the host's paths.
      await socketConnectable(join(root, "system/run/containerd/containerd.sock"));
      expect(readFileSync(join(root, "state/config.yaml"), "utf8")).toBe(
        readFileSync(join(TESTDATA, "worker.yaml"), "utf8"),
      );
      expect(existsSync(join(root, "var/lib/containerd"))).toBe(true);
      expect(out.all.some((l) => l.includes("hostname worker-1 recorded"))).toBe(true);
      expect(out.all.some((l) => l.includes("boot finished: node worker-1 configured"))).toBe(true);

      proc.kill("SIGTERM");
      const code = await proc.exited;
      await out.done;
      expect(code).toBe(0);
      expect(out.all.some((l) => l.includes("SIGTERM: shutting down"))).toBe(true);
      expect(out.all.some((l) => /service containerd: Finished/.test(l))).toBe(true);
      // machined, containerd, the certificates (waiting for the control plane's trustd) and apid.
      expect(out.all.some((l) => l.includes("[shutdown] stopAllServices: stopped 4 service(s)"))).toBe(true);
      expect(out.all.at(-1)).toContain("exiting with code 0");
      expect(isAlive(containerdPid)).toBe(false);
      expect(sandboxProcesses(root)).toEqual([]);
      // containerd's output went to its log file under the sandbox's /var/log.
      expect(readFileSync(join(root, "var/log/containerd.log"), "utf8")).toContain(
        "containerd successfully booted",
      );
    } finally {
      proc.kill("SIGKILL");
    }
  }, 30_000);

  test("an invalid config file and no URL: maintenance mode, still serving, still stoppable", async () => {
    const bad = join(root, "bad.yaml");
    await Bun.write(bad, "version: v1alpha1\nmachine:\n  type: teapot\n");
    const proc = await startMachined("--platform", "container", "--config", bad);
    const out = readLines(proc.stdout);
    try {
      await out.waitFor(/\[boot\] sequence finished/, 15_000);
      expect(out.all.some((l) => l.includes(`${bad} is not a valid machine config`))).toBe(true);
      expect(out.all.some((l) => l.includes("machine.type"))).toBe(true);
      expect(out.all.some((l) => l.includes("boot finished in maintenance mode"))).toBe(true);
      expect(existsSync(join(root, "state/config.yaml"))).toBe(false);
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill("SIGKILL");
    }
  }, 30_000);
});

describe("machined in container mode, config from a URL", () => {
  test("bronze.config= from --cmdline: retried after a failure, saved to STATE, used at the next start", async () => {
    const text = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
    const paths: string[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        paths.push(new URL(req.url).pathname);
        return paths.length === 1 ? new Response("warming up", { status: 503 }) : new Response(text);
      },
    });
    const cmdline = `bronze.platform=container bronze.config=http://127.0.0.1:${server.port}/worker.yaml`;
    const start = () => startMachined("--cmdline", cmdline);
    let proc = await start();
    try {
      let out = readLines(proc.stdout);
      await out.waitFor(/\[boot\] sequence finished/, 15_000);
      expect(
        out.all.some((l) => l.includes("attempt 1 failed: HTTP 503") && l.includes("retrying in 1000 ms")),
      ).toBe(true);
      expect(out.all.some((l) => l.includes("boot finished: node worker-1 configured"))).toBe(true);
      expect(paths).toEqual(["/worker.yaml", "/worker.yaml"]);
      expect(readFileSync(join(root, "state/config.yaml"), "utf8")).toBe(text);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);

      // Second start: the config comes from STATE, the server is not asked again.
      proc = await start();
      out = readLines(proc.stdout);
      await out.waitFor(/\[boot\] sequence finished/, 15_000);
      expect(out.all.some((l) => l.includes("config: using the config from STATE"))).toBe(true);
      expect(paths).toHaveLength(2);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill("SIGKILL");
      server.stop(true);
    }
  }, 30_000);
});

describe("the multi-call entry", () => {
  test("apid and trustd are applets of the entry point (their usage, by argv0)", async () => {
    for (const name of ["apid", "trustd"]) {
      const proc = Bun.spawn(["bun", MAIN, "--help"], { argv0: name, stdout: "pipe", stderr: "pipe" });
      expect(await proc.exited).toBe(0);
      expect(await new Response(proc.stdout).text()).toStartWith(`usage: ${name} [--listen 0.0.0.0:`);
    }
  });

  test("the compiled binary dispatches on argv0 (/usr/bin/apid, trustd) and is machined otherwise", async () => {
    // The binary every container-mode test runs apid from (built once for the run).
    const binary = testNodeBinary();
    const run = async (argv0: string, args: string[]) => {
      const proc = Bun.spawn([binary, ...args], { argv0, stdout: "pipe", stderr: "pipe" });
      const code = await proc.exited;
      return {
        code,
        out: await new Response(proc.stdout).text(),
        err: await new Response(proc.stderr).text(),
      };
    };
    expect(await run("/usr/bin/apid", ["--help"])).toMatchObject({
      code: 0,
      out: expect.stringContaining("usage: apid"),
    });
    expect(await run("trustd", ["--help"])).toMatchObject({
      code: 0,
      out: expect.stringContaining("usage: trustd"),
    });
    expect(await run("bronze-node", ["--platform", "vmware"])).toMatchObject({
      code: 2,
      err: expect.stringContaining("--platform must be one of"),
    });
  }, 30_000);

  test("stage1 refuses to run unless it is PID 1", async () => {
    const proc = Bun.spawn(["bun", MAIN], { argv0: "stage1", stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain("stage1: runs as PID 1 in the initramfs only");
  });

  test("bad flags exit 2 with the reason", async () => {
    const proc = Bun.spawn(["bun", MAIN, "--platform", "vmware"], { stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain(
      "--platform must be one of metal, qemu, container",
    );
    const noRoot = Bun.spawn(["bun", MAIN, "--platform", "container"], { stdout: "pipe", stderr: "pipe" });
    expect(await noRoot.exited).toBe(2);
    expect(await new Response(noRoot.stderr).text()).toContain("container mode needs --root DIR");
    const noFile = Bun.spawn(
      ["bun", MAIN, "--platform", "container", "--root", root, "--config", join(root, "nope.yaml")],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect(await noFile.exited).toBe(2);
    expect(await new Response(noFile.stderr).text()).toContain(
      `cannot read --config ${join(root, "nope.yaml")}`,
    );
    // Not PID 1 and not container mode: refuse rather than mount over this host's /var and /run.
    const host = Bun.spawn(["bun", MAIN, "--cmdline", "slab_nomerge pti=on"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await host.exited).toBe(2);
    expect(await new Response(host.stderr).text()).toContain("means PID 1 on a Bronze node");
  });
});
