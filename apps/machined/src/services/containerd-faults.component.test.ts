// Faults injected into a real container-mode machined and its real containerd: machined killed with
// -9 and started again on the same root (defect A of the fault-injection review), containerd frozen
// with SIGSTOP (defect B).
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceInfo } from "@bronze/api";
import { ContainerdClient } from "@bronze/containerd-client";
import { isAlive as alive, freezeProcess, processesMentioning, waitFor } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { nodePaths } from "../node/node-paths.ts";
import { type ContainerNode, startContainerNode, TESTDATA } from "../testing/container-node-fixture.ts";
import { killSandbox } from "../testing/sandbox-processes.ts";

let root: string;
const nodes: ContainerNode[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "ctrd-faults-"));
});
afterEach(() => {
  for (const node of nodes.splice(0)) node.proc.kill("SIGKILL");
  killSandbox(root);
  rmSync(root, { recursive: true, force: true });
});

const WORKER = ["--config", join(TESTDATA, "worker.yaml")];

async function start(): Promise<ContainerNode> {
  const node = await startContainerNode(root, WORKER);
  nodes.push(node);
  return node;
}

/** containerd's entry in ServiceList once `predicate` holds. */
function containerdWhen(node: ContainerNode, what: string, predicate: (s: ServiceInfo) => boolean) {
  return waitFor(
    async () => {
      const s = (await node.api.serviceList({})).services.find((x) => x.id === "containerd");
      return s !== undefined && predicate(s) ? s : undefined;
    },
    { what, timeoutMs: 30_000, intervalMs: 100 },
  );
}

const healthy = (s: ServiceInfo) => s.state === "Running" && s.health?.healthy === true && !s.health.unknown;

/** The containerd processes of this node (started with its config). */
const containerds = () => processesMentioning(nodePaths(root).containerdConfig).filter((pid) => alive(pid));

test("machined killed with -9, started again on the same root: one containerd, serving, healthy", async () => {
  const first = await start();
  const before = await containerdWhen(first, "containerd healthy", healthy);
  first.proc.kill("SIGKILL");
  await first.proc.exited;
  // container mode: the dead machined's containerd lives on, holding the node's bolt database and socket
  expect(containerds()).toEqual([before.pid]);

  const second = await start();
  await second.console.waitFor(/\[boot\] sequence finished/, 30_000);
  const after = await containerdWhen(
    second,
    "the new containerd healthy",
    (s) => healthy(s) && s.pid !== before.pid,
  );
  expect(
    second.console.all.some((l) =>
      l.endsWith(
        `machined: containerd: stopping the containerd a previous machined left running (pid ${before.pid})`,
      ),
    ),
  ).toBe(true);
  expect(alive(before.pid)).toBe(false);
  // one containerd: the supervised one, serving the socket
  expect(containerds()).toEqual([after.pid]);
  const client = await ContainerdClient.connect({
    socketPath: nodePaths(root).containerdSocket,
    namespace: "default",
  });
  try {
    expect((await client.version()).version.length).toBeGreaterThan(0);
  } finally {
    client.close();
  }

  second.proc.kill("SIGTERM");
  expect(await second.proc.exited).toBe(0);
  expect(containerds()).toEqual([]);
}, 90_000);

test("containerd frozen: its health fails saying why, Containers blames containerd; thawed, all is well", async () => {
  const node = await start();
  const up = await containerdWhen(node, "containerd healthy", healthy);
  await freezeProcess(up.pid);
  try {
    const frozen = await containerdWhen(node, "containerd unhealthy", (s) => s.health?.healthy === false);
    const why = `version: deadline exceeded: containerd at ${nodePaths(root).containerdSocket} did not answer in time`;
    expect(frozen).toMatchObject({ state: "Running", pid: up.pid });
    expect(frozen.health?.lastMessage).toBe(why);
    // the event, on machined's console
    await node.console.waitFor(
      new RegExp(
        `service containerd: Running \\(Health check failed: ${why.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\)$`,
      ),
      30_000,
    );
    // the machine API answers in time, naming containerd as the one that did not
    const error = await node.api.containers({}).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.Unavailable);
    expect(error?.rawMessage).toMatch(
      /^listing the containers of namespace system: (containers|tasks)\.list: deadline exceeded: containerd at \S+ did not answer in time$/,
    );
  } finally {
    process.kill(up.pid, "SIGCONT");
  }
  await containerdWhen(node, "containerd healthy again", healthy);
  expect((await node.api.containers({})).containers).toEqual([]);
  node.proc.kill("SIGTERM");
  expect(await node.proc.exited).toBe(0);
}, 90_000);
