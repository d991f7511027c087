// machined for real in container mode (the multi-call entry, a real containerd), driven through its
// machine API socket the way apid will: gRPC over HTTP/2 on the unix socket, the role in a header.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApplyMode, BRONZE_VERSION, LogLineDecoder, MachineService, ROLE_HEADER } from "@bronze/api";
import { eventually, readLines } from "@bronze/testing";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ConfigStore } from "../config/config-store.ts";
import { spawnMachined } from "../testing/container-machined.ts";
import { killSandbox, sandboxProcesses } from "../testing/sandbox-processes.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "mdapi-"));
});
afterEach(() => {
  killSandbox(root);
  rmSync(root, { recursive: true, force: true });
});

/** machined in container mode under the test's root (see spawnMachined), and its output. */
async function startMachined(...flags: string[]) {
  const proc = await spawnMachined(root, "--platform", "container", ...flags);
  return { proc, out: readLines(proc.stdout) };
}

function apiClient(socketPath: string) {
  return createClient(
    MachineService,
    createGrpcTransport({
      baseUrl: "http://localhost",
      nodeOptions: { createConnection: () => connect(socketPath) },
      interceptors: [
        (next) => (req) => {
          req.header.set(ROLE_HEADER, "os:admin");
          return next(req);
        },
      ],
    }),
  );
}

test("the machine API on <root>/system/run/machined/machine.sock: Version, ServiceList, Logs, Containers, Shutdown", async () => {
  const { proc, out } = await startMachined("--config", join(TESTDATA, "worker.yaml"));
  try {
    await out.waitFor(/\[boot\] sequence finished in \d+ ms/, 20_000);
    const socketPath = join(root, "system/run/machined/machine.sock");
    expect(statSync(socketPath).isSocket()).toBe(true);
    // root:apid 0660: apid's container (uid 50) connects to it.
    expect(statSync(socketPath).mode & 0o777).toBe(0o660);
    expect(statSync(socketPath).gid).toBe(50);
    const api = apiClient(socketPath);

    const version = await api.version({});
    expect(version.version?.tag).toBe(BRONZE_VERSION);
    expect(version.platform).toBe("container");
    expect(version.maintenance).toBe(false);
    expect((await api.hostname({})).hostname).toBe("worker-1");

    const services = (await api.serviceList({})).services.map((s) => [s.id, s.state, s.runner, s.up]);
    expect(services.slice(0, 2)).toEqual([
      ["machined", "Running", "in-process", true],
      ["containerd", "Running", "process", true],
    ]);
    // A worker's certificates come from the control plane's trustd (unreachable here): apid waits for them.
    expect(services.slice(2).map(([id, , runner, up]) => [id, runner, up])).toEqual([
      ["pki", "in-process", false],
      ["apid", "containerd", false],
    ]);

    const logLines: string[] = [];
    const decoder = new LogLineDecoder();
    for await (const res of api.logs({ id: "containerd", tailLines: -1 })) {
      logLines.push(...decoder.push(res.data));
    }
    expect(logLines.some((l) => l.includes("containerd successfully booted"))).toBe(true);
    expect(logLines.length).toBeGreaterThan(5);

    // containerd under the sandbox answers through the API; nothing runs in its system namespace yet.
    expect((await api.containers({})).containers).toEqual([]);
    // Container mode: services have no cgroups of their own, so there is nothing to report.
    expect((await api.stats({})).stats).toEqual([]);

    const shutdown = await api.shutdown({});
    expect(shutdown.$typeName).toBe("bronze.machine.v1.ShutdownResponse");
    expect(await proc.exited).toBe(0);
    await out.done;
    expect(out.all.some((l) => l.includes("[shutdown] stopAllServices: stopped 4 service(s)"))).toBe(true);
    expect(out.all.at(-1)).toContain("exiting with code 0");
    expect(sandboxProcesses(root)).toEqual([]);
  } finally {
    proc.kill("SIGKILL");
  }
}, 40_000);

test("a try-mode config left on trial by a previous run is reverted before the boot uses it", async () => {
  const worker = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
  const tried = worker.replace("hostname: worker-1", "hostname: tried-1");
  expect(tried).not.toBe(worker);
  const store = new ConfigStore(join(root, "state"));
  store.save(worker);
  store.saveForTrial(tried);
  const { proc, out } = await startMachined();
  try {
    await out.waitFor(/\[boot\] sequence finished/, 20_000);
    expect(out.all.some((l) => l.includes("a config on trial was never confirmed"))).toBe(true);
    expect(store.current()).toBe(worker);
    expect((await apiClient(join(root, "system/run/machined/machine.sock")).hostname({})).hostname).toBe(
      "worker-1",
    );
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill("SIGKILL");
  }
}, 40_000);

test("maintenance mode: a config applied without a reboot configures the node; an AUTO apply reboots (exits)", async () => {
  const worker = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
  const { proc, out } = await startMachined();
  try {
    await out.waitFor(/boot finished in maintenance mode/, 20_000);
    const api = apiClient(join(root, "system/run/machined/machine.sock"));
    expect((await api.version({})).maintenance).toBe(true);
    const applied = await api.applyConfiguration({
      data: new TextEncoder().encode(worker),
      mode: ApplyMode.NO_REBOOT,
    });
    expect(applied.modeDetails).toBe("Applied without a reboot: the node leaves maintenance mode");
    // Maintenance calls are refused from the moment the config is accepted...
    expect((await api.version({})).maintenance).toBe(false);
    // ...and the node is configured once the maintenance apid has stopped.
    await out.waitFor(/config: left maintenance mode/, 20_000);
    expect((await api.hostname({})).hostname).toBe("worker-1");

    const changed = worker.replace("hostname: worker-1", "hostname: worker-2");
    const auto = await api.applyConfiguration({
      data: new TextEncoder().encode(changed),
      mode: ApplyMode.AUTO,
    });
    expect(auto.modeDetails).toBe("Rebooting to apply the config");
    // Container mode: a reboot ends the process cleanly; the new config is in STATE for the next start.
    expect(await proc.exited).toBe(0);
    expect(new ConfigStore(join(root, "state")).current()).toBe(changed);
    await out.done;
    expect(out.all.some((l) => l.includes("container mode: reboot ends the machined process"))).toBe(true);
  } finally {
    proc.kill("SIGKILL");
  }
}, 40_000);

test("try mode on a running node: applied, then reverted when its timeout passes unconfirmed", async () => {
  const worker = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
  const tried = worker.replace("hostname: worker-1", "hostname: tried-1");
  const store = new ConfigStore(join(root, "state"));
  const { proc, out } = await startMachined("--config", join(TESTDATA, "worker.yaml"));
  try {
    await out.waitFor(/\[boot\] sequence finished/, 20_000);
    const api = apiClient(join(root, "system/run/machined/machine.sock"));
    const applied = await api.applyConfiguration({
      data: new TextEncoder().encode(tried),
      mode: ApplyMode.TRY,
      tryTimeout: durationFromMs(2_000),
    });
    expect(applied.modeDetails).toStartWith("Applied for 2s");
    expect(store.current()).toBe(tried);
    expect((await api.hostname({})).hostname).toBe("tried-1");
    // Nobody confirms it: the previous config comes back, and is applied again.
    await out.waitFor("config: the config on trial was not confirmed: the previous config is back", 20_000);
    expect(store.current()).toBe(worker);
    await eventually(
      "the previous config applied again",
      async () => (await api.hostname({})).hostname === "worker-1",
    );
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill("SIGKILL");
  }
}, 40_000);
