import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerdClient, CreateContainerOptions } from "@bronze/containerd-client";
import { nodePaths } from "../node/node-paths.ts";
import { RunnerError } from "../supervisor/runners/runner-error.ts";
import { apidService } from "./apid.ts";
import { SYSTEM_CONTAINER_MEMORY_BYTES, sandboxNamespace } from "./system-containers.ts";
import { trustdService } from "./trustd.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-sys-ctr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A containerd stand-in recording the container it is asked to create, then failing the start. */
function recordingClient() {
  const created: Array<CreateContainerOptions> = [];
  const client = {
    removeContainer: async () => {},
    createContainer: async (o: CreateContainerOptions) => {
      created.push(o);
      return {};
    },
    startTask: async () => {
      throw new Error("no containerd here");
    },
  } as unknown as ContainerdClient;
  return { created, client };
}

const log = { line: () => {} };

test("apid: uid 50, no capabilities, read-only root, memory limit, host network, binary and mounts", async () => {
  const paths = nodePaths(join(dir, "node"));
  const { created, client } = recordingClient();
  const service = apidService({
    paths,
    client: async () => client,
    nodeBinary: process.execPath,
    port: 52000,
    maintenance: false,
    pkiService: "pki",
  });
  expect(service.dependsOn).toEqual(["containerd", "machined", "pki"]);
  await expect(service.runner.start({ id: "apid", log })).rejects.toBeInstanceOf(RunnerError);
  const spec = created[0];
  expect(spec).toMatchObject({
    rootfs: join(paths.system, "rootfs/apid"),
    readOnlyRootfs: true,
    uid: 50,
    gid: 50,
    capabilities: [],
    memoryLimitBytes: SYSTEM_CONTAINER_MEMORY_BYTES,
    // The engine paces its garbage collection by the cgroup's limit, not the host's RAM.
    env: { HOME: "/tmp", TMPDIR: "/tmp", BUN_JSC_forceRAMSize: String(SYSTEM_CONTAINER_MEMORY_BYTES / 2) },
    hostNetwork: true,
    args: [
      "/usr/bin/apid",
      "--listen",
      "0.0.0.0:52000",
      "--machined-socket",
      "/system/run/machined/machine.sock",
      "--pki-dir",
      "/system/secrets/apid",
    ],
  });
  expect(spec?.mounts).toContainEqual({
    source: process.execPath,
    destination: "/usr/bin/apid",
    readOnly: true,
  });
  expect(spec?.mounts).toContainEqual({
    source: join(paths.system, "secrets/apid"),
    destination: "/system/secrets/apid",
    readOnly: true,
  });
});

test("apid in maintenance mode: --maintenance, no secrets, no certificates to wait for", async () => {
  const { created, client } = recordingClient();
  const service = apidService({
    paths: nodePaths(join(dir, "maint")),
    client: async () => client,
    nodeBinary: process.execPath,
    maintenance: true,
    pkiService: "pki",
  });
  expect(service.dependsOn).toEqual(["containerd", "machined"]);
  await expect(service.runner.start({ id: "apid", log })).rejects.toThrow("no containerd here");
  expect(created[0]?.args).toEqual([
    "/usr/bin/apid",
    "--listen",
    "0.0.0.0:50000",
    "--machined-socket",
    "/system/run/machined/machine.sock",
    "--maintenance",
  ]);
});

test("without the node binary the service fails naming the flag and the build", async () => {
  const { created, client } = recordingClient();
  const paths = nodePaths(join(dir, "nobin"));
  for (const nodeBinary of [undefined, join(dir, "missing/bronze-node")]) {
    const service = trustdService({ paths, client: async () => client, nodeBinary, pkiService: "pki" });
    const start = service.runner.start({ id: "trustd", log });
    await expect(start).rejects.toBeInstanceOf(RunnerError);
    await expect(start).rejects.toThrow("build it with `bun run build:node` or pass --node-binary PATH");
  }
  expect(created).toEqual([]);
});

test("each sandbox has its own system namespace", () => {
  expect(sandboxNamespace("/tmp/a")).toMatch(/^system-[0-9a-f]{12}$/);
  expect(sandboxNamespace("/tmp/a")).toBe(sandboxNamespace("/tmp/a"));
  expect(sandboxNamespace("/tmp/a")).not.toBe(sandboxNamespace("/tmp/b"));
});
