import { expect, test } from "bun:test";
import { useContainerd } from "../test/fixtures.ts";
import { DEFAULT_RUNTIME } from "./containers.ts";
import { isContainerdError } from "./errors.ts";
import { buildRuntimeSpec } from "./runtime-spec.ts";

const env = useContainerd();
const spec = buildRuntimeSpec({
  id: "rec",
  namespace: "bronze-test",
  args: ["/bin/true"],
  rootPath: "/nonexistent",
  memoryLimitBytes: 1 << 26,
});

test("records round-trip with their spec, labels and runtime; list filters by label", async () => {
  const created = await env.client.containers.create({
    id: "rec",
    spec,
    labels: { "bronze.io/service": "etcd" },
  });
  expect(created.runtime).toBe(DEFAULT_RUNTIME);
  const got = await env.client.containers.get("rec");
  expect(got.spec).toEqual(spec);
  expect(got.labels).toEqual({ "bronze.io/service": "etcd" });
  expect(got.createdAt).toBeInstanceOf(Date);
  await env.client.containers.create({ id: "rec2", spec, labels: { "bronze.io/service": "apid" } });
  expect((await env.client.containers.list()).map((c) => c.id)).toEqual(["rec", "rec2"]);
  expect((await env.client.containers.list(['labels."bronze.io/service"==apid'])).map((c) => c.id)).toEqual([
    "rec2",
  ]);
  const updated = await env.client.containers.setLabels("rec", {
    "bronze.io/service": undefined,
    restarted: "1",
  });
  expect(updated.labels).toEqual({ restarted: "1" });
  // ctr sees the same record
  const info = Bun.spawnSync([
    "ctr",
    "--address",
    env.containerd.socketPath,
    "-n",
    env.namespace,
    "containers",
    "info",
    "rec",
  ]);
  expect(JSON.parse(info.stdout.toString()).Spec.linux.resources.memory.limit).toBe(1 << 26);
  await env.client.containers.remove("rec");
  await env.client.containers.remove("rec2");
  expect(await env.client.containers.list()).toEqual([]);
});

test("typed errors: duplicate id, missing container, invalid id", async () => {
  await env.client.containers.create({ id: "dup", spec });
  const dup = await env.client.containers.create({ id: "dup", spec }).catch((e) => e);
  expect(isContainerdError(dup, "AlreadyExists")).toBe(true);
  expect(dup.message).toBe('containers.create "dup": container "dup": already exists');
  await env.client.containers.remove("dup");
  const missing = await env.client.containers.get("ghost").catch((e) => e);
  expect(isContainerdError(missing, "NotFound")).toBe(true);
  expect(missing.message).toContain(`container "ghost" in namespace "${env.namespace}": not found`);
  expect(isContainerdError(await env.client.containers.remove("ghost").catch((e) => e), "NotFound")).toBe(
    true,
  );
  await expect(env.client.containers.create({ id: "bad id", spec })).rejects.toThrow(
    'container id "bad id" is not a valid identifier',
  );
});
