import { expect, test } from "bun:test";
import { join } from "node:path";
import { useContainerd } from "../test/fixtures.ts";
import { ContainerdClient } from "./client.ts";
import { isContainerdError } from "./errors.ts";

const env = useContainerd("client-test");

test("connect verifies containerd answers, unless told not to", async () => {
  const socketPath = join(env.scratch, "later.sock");
  const lazy = await ContainerdClient.connect({ socketPath, namespace: "x", verify: false });
  expect(lazy.socketPath).toBe(socketPath);
  expect(isContainerdError(await lazy.version().catch((e) => e), "Unavailable")).toBe(true);
  lazy.close();
});

test("withNamespace shares the connection and scopes every sub-API", async () => {
  const other = env.client.withNamespace("client-other");
  expect(other.namespace).toBe("client-other");
  expect(other.snapshotter).toBe(env.client.snapshotter);
  await other.containers.create({ id: "scoped", spec: { ociVersion: "1.0.2" } });
  expect((await env.client.containers.list()).map((c) => c.id)).toEqual([]);
  expect((await other.containers.list()).map((c) => c.id)).toEqual(["scoped"]);
  await other.containers.remove("scoped");
});

test("after close, the next call opens a new session", async () => {
  await env.client.version();
  env.client.close();
  expect((await env.client.version()).version.length).toBeGreaterThan(0);
});
