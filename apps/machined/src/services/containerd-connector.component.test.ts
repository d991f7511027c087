import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { ContainerdError } from "@bronze/containerd-client";
import { startTestContainerd, type TestContainerd } from "@bronze/containerd-client/testing";
import { freezeProcess } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { containersHandlers } from "../api/handlers/containers.ts";
import { API_CONTAINERD_TIMEOUT_MS, containerdConnector } from "./containerd-connector.ts";

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

test("a frozen containerd: the machine API's calls fail at the API's deadline, blaming containerd", async () => {
  const connector = containerdConnector(containerd.socketPath);
  const pid = containerd.pid as number;
  const handlers = containersHandlers({
    containerd: (namespace) => connector.client(namespace, { timeoutMs: API_CONTAINERD_TIMEOUT_MS }),
  });
  const list = () =>
    (handlers.containers as (req: { namespace: string }) => Promise<unknown>)({ namespace: "" });
  try {
    expect(await list()).toEqual({ containers: [] });
    // the connector's other clients keep the connection's own deadline
    expect((await connector.client("system")).timeoutMs).toBe(10_000);
    await freezeProcess(pid);
    const error = await list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unavailable);
    // (containers.list and tasks.list are asked at once: either may run out first)
    expect((error as ConnectError).rawMessage).toMatch(
      /^listing the containers of namespace system: (containers|tasks)\.list: deadline exceeded: containerd at \S+ did not answer in time$/,
    );
    expect((error as ConnectError).rawMessage).toContain(containerd.socketPath);
  } finally {
    process.kill(pid, "SIGCONT");
    connector.close();
  }
});
