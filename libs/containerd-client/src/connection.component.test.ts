import { expect, test } from "bun:test";
import { join } from "node:path";
import { freezeProcess } from "@bronze/testing";
import { useContainerd } from "../test/fixtures.ts";
import { ContainerdClient } from "./client.ts";
import { Connection } from "./connection.ts";
import { ContainerdError } from "./errors.ts";

const env = useContainerd();

async function expectError(p: Promise<unknown>, code: string, text: string): Promise<ContainerdError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ContainerdError);
    expect((e as ContainerdError).code).toBe(code as ContainerdError["code"]);
    expect((e as Error).message).toContain(text);
    return e as ContainerdError;
  }
  throw new Error(`expected a ${code} error`);
}

test("a missing socket fails to connect with Unavailable naming the path", async () => {
  const socketPath = join(env.scratch, "nope.sock");
  await expectError(
    ContainerdClient.connect({ socketPath, namespace: "x" }),
    "Unavailable",
    `containerd is unavailable at ${socketPath}`,
  );
});

test("bad namespaces and timeouts are refused before any call", () => {
  expect(() => Connection.open({ socketPath: "/x", namespace: "no spaces" })).toThrow(
    'namespace "no spaces" is not a valid identifier',
  );
  expect(() => Connection.open({ socketPath: "/x", namespace: "ok", timeoutMs: 0 })).toThrow(
    "timeoutMs must be positive",
  );
  expect(() => Connection.open({ socketPath: "/x", namespace: "ok" }).withTimeout(-1)).toThrow(
    "timeoutMs must be positive",
  );
});

test("an unresponsive containerd makes calls fail with DeadlineExceeded at their deadline", async () => {
  const pid = env.containerd.pid as number;
  try {
    await freezeProcess(pid);
    await expectError(
      env.client.version({ timeoutMs: 300 }),
      "DeadlineExceeded",
      `deadline exceeded: containerd at ${env.containerd.socketPath} did not answer in time`,
    );
    // a client made withTimeout gives every call that deadline by default, on the same connection
    const hasty = env.client.withTimeout(300);
    expect(hasty.timeoutMs).toBe(300);
    expect(env.client.timeoutMs).toBe(10_000);
    await expectError(hasty.tasks.list(), "DeadlineExceeded", "did not answer in time");
  } finally {
    process.kill(pid, "SIGCONT");
  }
  expect((await env.client.version()).version.length).toBeGreaterThan(0);
});

test("a dead containerd gives Unavailable; the same client reconnects once it is back", async () => {
  expect((await env.client.version()).version.length).toBeGreaterThan(0);
  await env.containerd.stopDaemon({ kill: true });
  await expectError(
    env.client.version(),
    "Unavailable",
    `containerd is unavailable at ${env.containerd.socketPath}`,
  );
  await env.containerd.startDaemon();
  expect((await env.client.version()).version.length).toBeGreaterThan(0);
  // and after a clean restart (SIGTERM) too
  await env.containerd.stopDaemon();
  await env.containerd.startDaemon();
  expect((await env.client.namespaces.list()).length).toBeGreaterThanOrEqual(0);
});
