// The compiled osctl is what users run: build it once and drive the real binary, including the
// lazily loaded command entry points and their error paths (exit codes cross bundle boundaries).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let dir = "";
let binary = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "osctl-compiled-"));
  binary = join(dir, "osctl");
  const build = Bun.spawnSync(["bun", join(import.meta.dir, "build.ts"), binary], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const proc = Bun.spawnSync([binary, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

test("--help lists the commands", () => {
  const res = run("--help");
  expect(res.code).toBe(0);
  for (const command of ["gen", "validate", "machineconfig", "config"]) expect(res.stdout).toContain(command);
});

test("gen config, validate and config info work from the binary", () => {
  expect(run("gen", "config", "bin", "https://10.0.0.10:6443", "-o", "out").code).toBe(0);
  expect(existsSync(join(dir, "out/osconfig"))).toBe(true);
  const valid = run("validate", "--config", "out/controlplane.yaml", "--mode", "metal");
  expect(valid.stdout).toBe("out/controlplane.yaml: valid for metal mode\n");
  const info = run("--osconfig", "out/osconfig", "config", "info", "-o", "json");
  expect(JSON.parse(info.stdout).roles).toEqual(["os:admin"]);
});

test("errors keep their exit codes and messages in the binary", () => {
  const again = run("gen", "config", "bin", "https://10.0.0.10:6443", "-o", "out");
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("refusing to overwrite");
  writeFileSync(
    join(dir, "bad.yaml"),
    readFileSync(join(dir, "out/worker.yaml"), "utf8").replace("type: worker", "type: 7"),
  );
  const invalid = run("validate", "--config", "bad.yaml", "--mode", "metal");
  expect(invalid.code).toBe(1);
  expect(invalid.stderr).toMatch(/bad\.yaml:\d+:\d+: error: machine\.type/);
  expect(run("validate", "--config", "bad.yaml").code).toBe(2);
});

test("node commands from the binary: mTLS calls, per-node errors, usage errors across bundles", async () => {
  const { startFakeApid } = await import("../src/testing/fake-apid-fixture.ts");
  const server = await startFakeApid({
    version: (_req, ctx) => ({ version: { tag: `v-${ctx.requestHeader.get("x-bronze-node")}` } }),
    containers: (req) => ({
      containers: [{ namespace: req.namespace, id: "c1", image: "i", pid: 7, status: "RUNNING" }],
    }),
  });
  try {
    writeFileSync(join(dir, "node-osconfig"), server.osconfig("os:reader", [server.endpoint], ["n1"]));
    const runAsync = async (...args: string[]) => {
      const proc = Bun.spawn([binary, "--osconfig", "node-osconfig", ...args], {
        cwd: dir,
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { code, stdout, stderr };
    };
    const version = await runAsync("version", "-o", "json");
    expect(version.code).toBe(0);
    expect(JSON.parse(version.stdout).nodes[0].version.tag).toBe("v-n1");
    const ps = await runAsync("ps", "-k", "-n", "a,b");
    expect(ps.stdout).toContain("NODE   NAMESPACE   ID   IMAGE   PID   STATUS\na      k8s.io      c1");
    const denied = await runAsync("reboot");
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe("error: n1: permission denied: os:reader may not call Reboot\n");
    const usage = await runAsync("apply-config", "-f", "x.yaml", "--insecure", "-n", "a");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--insecure needs --cert-fingerprint");
  } finally {
    await server.close();
  }
});
