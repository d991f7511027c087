import { expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { clusterDir, saveClusterState } from "../cluster/cluster-state.ts";
import { isAlive, spawnDetached } from "../cluster/process-control.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";

test("create refuses bad flags and missing artifacts, naming them", async () => {
  const io = createTestIo();
  try {
    const floppy = await osctl(io, "cluster", "create", "--boot", "floppy");
    expect(floppy.code).toBe(2);
    expect(floppy.stderr).toContain('--boot: "floppy" (expected kernel, pxe or disk)');
    // Disk boot needs the image's disk.raw only.
    mkdirSync(join(io.dir, "kernel-only"));
    for (const f of ["vmlinuz", "initramfs.zst", "cmdline"])
      writeFileSync(join(io.dir, "kernel-only", f), "");
    const disk = await osctl(io, "cluster", "create", "--boot", "disk", "--assets", "kernel-only");
    expect(disk.code).toBe(1);
    expect(disk.stderr).toContain(
      `--assets ${join(io.dir, "kernel-only")}: missing ${join(io.dir, "kernel-only", "disk.raw")}`,
    );
    const name = await osctl(io, "cluster", "create", "--name", "Bad_Name");
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('--name: "Bad_Name"');
    const assets = await osctl(io, "cluster", "create", "--assets", "nowhere");
    expect(assets.code).toBe(1);
    expect(assets.stderr).toContain(`--assets ${join(io.dir, "nowhere")}: missing`);
    expect(assets.stderr).toContain("vmlinuz");
    expect(existsSync(clusterDir(io.home, "bronze"))).toBe(false);
  } finally {
    io.cleanup();
  }
});

test("show lists the nodes alive; destroy stops every process, removes the state and the context", async () => {
  const io = createTestIo();
  const osconfig = join(io.dir, "osconfig");
  const started: number[] = [];
  try {
    mkdirSync(clusterDir(io.home, "demo"), { recursive: true });
    const start = () => {
      const p = spawnDetached(["sleep", "300"], join(clusterDir(io.home, "demo"), "p.log"));
      p.child.on("exit", () => {});
      started.push(p.pid);
      return p.pid;
    };
    writeFileSync(
      osconfig,
      "context: demo\ncontexts:\n  demo: {endpoints: [127.0.0.1:1], ca: a, crt: b, key: c}\n  other: {ca: a, crt: b, key: c}\n",
    );
    const node = (name: string, role: "controlplane" | "worker", ip: string, port: number) => ({
      name,
      role,
      pid: start(),
      mac: "52:54:00:00:00:01",
      clusterIp: ip,
      apidPort: port,
      serialLog: "/dev/null",
    });
    saveClusterState(io.home, {
      name: "demo",
      createdAt: "2026-01-01T00:00:00.000Z",
      boot: "kernel",
      osconfig,
      context: "demo",
      server: { pid: start(), port: 4000, log: "/dev/null" },
      nodes: [
        node("demo-controlplane-1", "controlplane", "10.5.0.2", 4001),
        node("demo-worker-1", "worker", "10.5.0.3", 4002),
      ],
    });

    const table = await osctl(io, "cluster", "show", "--name", "demo");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/NODE\s+ROLE\s+PID\s+ALIVE\s+APID\s+IP\n/);
    expect(table.stdout).toMatch(/demo-worker-1\s+worker\s+\d+\s+yes\s+127\.0\.0\.1:4002\s+10\.5\.0\.3/);
    const json = JSON.parse((await osctl(io, "cluster", "show", "--name", "demo", "-o", "json")).stdout);
    expect(json.nodes.map((n: { alive: boolean }) => n.alive)).toEqual([true, true]);

    const destroy = await osctl(io, "cluster", "destroy", "--name", "demo");
    expect(destroy.code).toBe(0);
    expect(destroy.stdout).toContain('removed context "demo"');
    for (const pid of started) expect(isAlive(pid)).toBe(false);
    expect(existsSync(clusterDir(io.home, "demo"))).toBe(false);
    const after = parse(await Bun.file(osconfig).text());
    expect(Object.keys(after.contexts)).toEqual(["other"]);
    expect(after.context).toBe("other");

    const gone = await osctl(io, "cluster", "show", "--name", "demo");
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no cluster "demo"');
  } finally {
    for (const pid of started) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    io.cleanup();
  }
});
