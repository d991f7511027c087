import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { ContainerdError, startTestContainerd, type TestContainerd } from "@bronze/containerd-client";
import { containerdConnector } from "./containerd-connector.ts";

let containerd: TestContainerd;
beforeAll(async () => {
  containerd = await startTestContainerd();
}, 30_000);
afterAll(() => containerd?.stop());

test("one connection, any namespace, reused; survives a containerd restart", async () => {
  const connector = containerdConnector(containerd.socketPath);
  try {
    const a = await connector.client("system");
    const b = await connector.client("k8s.io");
    expect([a.namespace, b.namespace]).toEqual(["system", "k8s.io"]);
    await a.namespaces.ensure("system");
    expect((await b.namespaces.list()).map((n) => n.name)).toContain("system");
    await containerd.stopDaemon();
    await containerd.startDaemon();
    expect((await (await connector.client("system")).namespaces.list()).map((n) => n.name)).toContain(
      "system",
    );
  } finally {
    connector.close();
  }
  await expect(connector.client("system")).rejects.toThrow("is closed");
}, 30_000);

test("no containerd behind the socket: the calls fail Unavailable naming it", async () => {
  const path = join(containerd.dir, "nothing-here.sock");
  const connector = containerdConnector(path);
  try {
    const client = await connector.client("system");
    const e = await client.containers.list().catch((x) => x);
    expect(e).toBeInstanceOf(ContainerdError);
    expect(e.code).toBe("Unavailable");
    expect(e.message).toContain(path);
  } finally {
    connector.close();
  }
});
