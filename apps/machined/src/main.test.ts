// The multi-call entry for real: machined in container mode on this host, with the real Debian
// containerd, booted from a config file and shut down with SIGTERM.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { socketConnectable } from "./services/containerd.ts";

const MAIN = join(import.meta.dir, "main.ts");
const TESTDATA = join(import.meta.dir, "../../../libs/config-schema/testdata");

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "mdct-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Collects a child's stdout as lines and lets a test wait for one. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const done = (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of stream) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.pattern.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
        nl = buffered.indexOf("\n");
      }
    }
  })();
  return {
    lines,
    done,
    waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
      const found = lines.find((l) => pattern.test(l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.join("\n")}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

/** A TCP port free on 127.0.0.1 right now (apid's, so that tests never take 50000). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** Pids of processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("machined in container mode", () => {
  test("boots from --config with a real containerd, and SIGTERM shuts it down cleanly", async () => {
    const proc = Bun.spawn(
      ["bun", MAIN, "--platform", "container", "--root", root, "--config", join(TESTDATA, "worker.yaml")],
      { stdout: "pipe", stderr: "pipe" },
    );
    const out = lineReader(proc.stdout);
    try {
      await out.waitFor(/\[boot\] sequence finished in \d+ ms/, 15_000);
      const started = await out.waitFor(/service containerd: Running \(Started \(pid (\d+)\)\)/, 1000);
      const containerdPid = Number(/pid (\d+)/.exec(started)?.[1]);
      expect(alive(containerdPid)).toBe(true);
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
      expect(out.lines.some((l) => l.includes("hostname worker-1 recorded"))).toBe(true);
      expect(out.lines.some((l) => l.includes("boot finished: node worker-1 configured"))).toBe(true);

      proc.kill("SIGTERM");
      const code = await proc.exited;
      await out.done;
      expect(code).toBe(0);
      expect(out.lines.some((l) => l.includes("SIGTERM: shutting down"))).toBe(true);
      expect(out.lines.some((l) => /service containerd: Finished/.test(l))).toBe(true);
      // machined, containerd, the certificates (waiting for the control plane's trustd) and apid.
      expect(out.lines.some((l) => l.includes("[shutdown] stopAllServices: stopped 4 service(s)"))).toBe(
        true,
      );
      expect(out.lines.at(-1)).toContain("exiting with code 0");
      expect(alive(containerdPid)).toBe(false);
      expect(processesMentioning(root)).toEqual([]);
      // containerd's output went to its log file under the sandbox's /var/log.
      expect(readFileSync(join(root, "var/log/containerd.log"), "utf8")).toContain(
        "containerd successfully booted",
      );
    } finally {
      proc.kill("SIGKILL");
      for (const pid of processesMentioning(root)) process.kill(pid, "SIGKILL");
    }
  }, 30_000);

  test("an invalid config file and no URL: maintenance mode, still serving, still stoppable", async () => {
    const bad = join(root, "bad.yaml");
    await Bun.write(bad, "version: v1alpha1\nmachine:\n  type: teapot\n");
    const apidPort = String(await freePort());
    const proc = Bun.spawn(
      ["bun", MAIN, "--platform", "container", "--root", root, "--config", bad, "--apid-port", apidPort],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const out = lineReader(proc.stdout);
    try {
      await out.waitFor(/\[boot\] sequence finished/, 15_000);
      expect(out.lines.some((l) => l.includes(`${bad} is not a valid machine config`))).toBe(true);
      expect(out.lines.some((l) => l.includes("machine.type"))).toBe(true);
      expect(out.lines.some((l) => l.includes("boot finished in maintenance mode"))).toBe(true);
      expect(existsSync(join(root, "state/config.yaml"))).toBe(false);
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill("SIGKILL");
      for (const pid of processesMentioning(root)) process.kill(pid, "SIGKILL");
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
    const start = () =>
      Bun.spawn(["bun", MAIN, "--root", root, "--cmdline", cmdline], { stdout: "pipe", stderr: "pipe" });
    let proc = start();
    try {
      let out = lineReader(proc.stdout);
      await out.waitFor(/\[boot\] sequence finished/, 15_000);
      expect(
        out.lines.some((l) => l.includes("attempt 1 failed: HTTP 503") && l.includes("retrying in 1000 ms")),
      ).toBe(true);
      expect(out.lines.some((l) => l.includes("boot finished: node worker-1 configured"))).toBe(true);
      expect(paths).toEqual(["/worker.yaml", "/worker.yaml"]);
      expect(readFileSync(join(root, "state/config.yaml"), "utf8")).toBe(text);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);

      // Second start: the config comes from STATE, the server is not asked again.
      proc = start();
      out = lineReader(proc.stdout);
      await out.waitFor(/\[boot\] sequence finished/, 15_000);
      expect(out.lines.some((l) => l.includes("config: using the config from STATE"))).toBe(true);
      expect(paths).toHaveLength(2);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill("SIGKILL");
      server.stop(true);
      for (const pid of processesMentioning(root)) process.kill(pid, "SIGKILL");
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
    const binary = join(root, "bronze-node");
    const build = Bun.spawnSync(
      ["bun", "build", "--compile", "--sourcemap=none", MAIN, "--outfile", binary],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect(build.exitCode).toBe(0);
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
