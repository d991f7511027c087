import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freezeProcess } from "@bronze/testing";
import { nodePaths } from "../node/node-paths.ts";
import { createBunSpawn } from "../supervisor/runners/bun-spawn.ts";
import type { SpawnRequest } from "../supervisor/runners/spawn.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import {
  CONTAINERD_HEALTH_DEADLINE_MS,
  containerdConfigToml,
  containerdHealthCheck,
  containerdPidfile,
  containerdService,
  socketConnectable,
} from "./containerd.ts";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "ctrd-svc-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("containerdConfigToml", () => {
  test("puts state, root, sockets and opt under the node's paths", () => {
    const paths = nodePaths();
    const text = containerdConfigToml(paths, { container: false });
    expect(text).toContain('root = "/var/lib/containerd"');
    expect(text).toContain('state = "/system/run/containerd"');
    expect(text).toContain('address = "/system/run/containerd/containerd.sock"');
    expect(text).toContain('address = "/system/run/containerd/containerd.sock.ttrpc"');
    expect(text).toContain('imports = ["/system/etc/cri/conf.d/*.part"]');
    expect(text).toContain('path = "/var/lib/containerd/opt"');
    expect(text).not.toContain("io.containerd.grpc.v1.cri");
  });
  test("container mode disables CRI", () => {
    const text = containerdConfigToml(nodePaths(root), { container: true });
    expect(text).toContain('"io.containerd.grpc.v1.cri"');
    expect(text).toContain(`root = "${root}/var/lib/containerd"`);
  });
});

describe("containerdService", () => {
  test("pre writes the config; the runner starts containerd --config <it>", async () => {
    const paths = nodePaths(root);
    const requests: SpawnRequest[] = [];
    const def = containerdService({
      paths,
      container: true,
      env: { HTTPS_PROXY: "http://proxy:3128" },
      spawn: (request) => {
        requests.push(request);
        throw new Error("not spawning in a unit test");
      },
    });
    expect(def.id).toBe("containerd");
    expect(def.restart).toBe("forever");
    await def.pre?.();
    expect(readFileSync(paths.containerdConfig, "utf8")).toBe(
      containerdConfigToml(paths, { container: true }),
    );
    await expect(def.runner.start({ id: "containerd", log: { line: () => {} } })).rejects.toThrow(
      "cannot start containerd",
    );
    expect(requests[0]?.cmd).toEqual(["containerd", "--config", paths.containerdConfig]);
    expect(requests[0]?.env.HTTPS_PROXY).toBe("http://proxy:3128");
    expect(requests[0]?.env.PATH).toContain("/usr/bin");
  });
});

describe("socketConnectable", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  test("resolves when something listens, rejects saying why when not", async () => {
    const path = join(root, "s.sock");
    await expect(socketConnectable(path)).rejects.toThrow(`cannot connect to ${path}: ENOENT`);
    server = createServer((c) => c.end());
    await new Promise<void>((r) => server?.listen(path, r));
    await socketConnectable(path);
  });

  test("aborting rejects", async () => {
    const path = join(root, "s2.sock");
    server = createServer(() => {});
    await new Promise<void>((r) => server?.listen(path, r));
    const abort = new AbortController();
    abort.abort();
    await expect(socketConnectable(path, abort.signal)).rejects.toThrow("aborted");
  });
});

describe("containerd's health", () => {
  test("a frozen (SIGSTOPped) containerd turns unhealthy, an event saying why; thawed, healthy again", async () => {
    const paths = nodePaths(root);
    const supervisor = new Supervisor({ stopGraceMs: 5000 });
    supervisor.register(containerdService({ paths, spawn: createBunSpawn(), container: true }));
    supervisor.start("containerd");
    const within = () => AbortSignal.timeout(20_000);
    try {
      const up = await supervisor.waitFor("containerd", (s) => s.health?.healthy === true, within());
      const pid = up.pid as number;
      // the pidfile names the running containerd (what the next machined checks after a crash)
      expect(readFileSync(containerdPidfile(paths), "utf8")).toBe(`${pid}\n`);
      await freezeProcess(pid);
      try {
        const frozen = await supervisor.waitFor("containerd", (s) => s.health?.healthy === false, within());
        expect(frozen).toMatchObject({ state: "Running", pid });
        expect(frozen.health?.message).toBe(
          `version: deadline exceeded: containerd at ${paths.containerdSocket} did not answer in time`,
        );
        expect(supervisor.events.tail(1)[0]).toMatchObject({
          service: "containerd",
          state: "Running",
          healthy: false,
          message: `Health check failed: ${frozen.health?.message}`,
        });
      } finally {
        process.kill(pid, "SIGCONT");
      }
      await supervisor.waitFor("containerd", (s) => s.health?.healthy === true, within());
      expect(supervisor.events.tail(1)[0]).toMatchObject({
        healthy: true,
        message: "Health check successful",
      });
    } finally {
      await supervisor.stopAll();
    }
    expect(supervisor.status("containerd").state).toBe("Finished");
    expect(existsSync(containerdPidfile(paths))).toBe(false);
  }, 60_000);

  test("a socket served by another process is not the supervised containerd's health", async () => {
    const path = join(root, "taken.sock");
    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const check = containerdHealthCheck(path);
      expect(check.timeoutMs).toBeGreaterThan(CONTAINERD_HEALTH_DEADLINE_MS);
      const other = Bun.spawn(["sleep", "30"]);
      try {
        await expect(check.check(new AbortController().signal, { pid: other.pid })).rejects.toThrow(
          `${path} is served by another process, not by the supervised containerd (pid ${other.pid})`,
        );
      } finally {
        other.kill();
      }
    } finally {
      server.close();
    }
  });
});
