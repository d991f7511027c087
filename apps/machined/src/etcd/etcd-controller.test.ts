// The start decision with an in-memory cluster (the real etcd: etcd-join.component.test.ts).
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../testing/fake-clock.ts";
import { EtcdController, type EtcdControllerDeps } from "./etcd-controller.ts";
import type { EtcdMember } from "./etcd-join.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bronze-etcd-ctl-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A cluster reachable (or not) at the endpoint, as the controller's connect() sees it. */
function setup(options: { members?: EtcdMember[]; reachable?: boolean; address?: string } = {}) {
  let members = options.members ?? [];
  const calls: string[] = [];
  const lines: string[] = [];
  const clock = new FakeClock();
  const deps: EtcdControllerDeps = {
    name: () => "cp-2",
    address: () => options.address ?? "10.5.0.3",
    dataDir: join(dir, "etcd"),
    joinEndpoints: () => ["https://10.5.0.2:2379"],
    connect: async (endpoints) => {
      calls.push(`connect ${endpoints.join(" ")}`);
      if (options.reachable === false) throw new Error("https://10.5.0.2:2379: connection refused");
      return {
        memberList: async () => members,
        memberAdd: async (peerUrls, o) => {
          calls.push(`add ${peerUrls.join(" ")} learner=${o.learner}`);
          const member = { id: 42n, name: "", peerUrls: [...peerUrls], clientUrls: [], isLearner: true };
          members = [...members, member];
          return { member };
        },
        memberRemove: async () => {},
        memberPromote: async (id) => {
          calls.push(`promote ${id}`);
          members = members.map((m) => (m.id === id ? { ...m, isLearner: false } : m));
        },
        close: () => {},
      };
    },
    clock,
    log: (l) => lines.push(l),
  };
  return { controller: new EtcdController(deps), calls, lines, clock, deps };
}

const cp1: EtcdMember = {
  id: 1n,
  name: "cp-1",
  peerUrls: ["https://10.5.0.2:2380"],
  clientUrls: ["https://10.5.0.2:2379"],
  isLearner: false,
};

test("data on disk: etcd restarts on it at once, and bootstrap is refused", async () => {
  mkdirSync(join(dir, "etcd", "member"), { recursive: true });
  const { controller, calls } = setup();
  await controller.run(new AbortController().signal);
  expect(controller.start).toEqual({ state: "restart" });
  expect(await controller.condition.wait(new AbortController().signal)).toBe(true);
  // it looks itself up (not a learner here: nothing to promote)
  expect(calls).toEqual(["connect https://10.5.0.2:2379 https://10.5.0.3:2379"]);
  await expect(controller.bootstrap()).rejects.toThrow("already running on its data on this node");
});

test("a learner restarting on its data is promoted (it would never join again)", async () => {
  mkdirSync(join(dir, "etcd", "member"), { recursive: true });
  const { controller, calls } = setup({ members: [cp1, { ...cp1, id: 9n, name: "cp-2", isLearner: true }] });
  await controller.run(new AbortController().signal);
  expect(controller.start).toEqual({ state: "restart" });
  expect(calls).toEqual(["connect https://10.5.0.2:2379 https://10.5.0.3:2379", "promote 9"]);
});

test("the endpoint's etcd has members: the node joins as a learner, starts as existing, and is promoted", async () => {
  const { controller, calls } = setup({ members: [cp1] });
  await controller.run(new AbortController().signal);
  expect(controller.start).toEqual({
    state: "existing",
    initialCluster: "cp-1=https://10.5.0.2:2380,cp-2=https://10.5.0.3:2380",
  });
  expect(calls).toEqual([
    "connect https://10.5.0.2:2379",
    "add https://10.5.0.3:2380 learner=true",
    "connect https://10.5.0.2:2379 https://10.5.0.3:2379",
    "promote 42",
  ]);
  expect(controller.status).toBe("member 2a: promoted to a voting member");
  await expect(controller.bootstrap()).rejects.toThrow("already joined to a cluster");
});

test("nothing answers: the node keeps trying, and a bootstrap founds a cluster of one member", async () => {
  const { controller, clock, calls } = setup({ reachable: false });
  const abort = new AbortController();
  const running = controller.run(abort.signal);
  const waited = controller.condition.wait(abort.signal);
  await clock.advance(5000);
  await clock.advance(5000);
  expect(calls.length).toBeGreaterThanOrEqual(2);
  expect(controller.status).toContain("waiting to join: https://10.5.0.2:2379: connection refused");
  await controller.bootstrap();
  expect(await waited).toBe(true);
  expect(controller.start).toEqual({ state: "new", initialCluster: "cp-2=https://10.5.0.3:2380" });
  await clock.advance(5000);
  await running;
  await expect(controller.bootstrap()).rejects.toThrow("already bootstrapped on this node");
});

test("bootstrap is refused where the endpoint's etcd already has members", async () => {
  const { controller } = setup({ members: [cp1] });
  await expect(controller.bootstrap()).rejects.toThrow(
    "the cluster at https://10.5.0.2:2379 already has etcd (members cp-1): this node joins it by itself",
  );
  expect(controller.start).toBeUndefined();
});

test("the endpoint is this node: it waits for bootstrap without dialling itself", async () => {
  const { controller, calls, clock } = setup({ address: "10.5.0.2" });
  const abort = new AbortController();
  const running = controller.run(abort.signal);
  await clock.advance(5000);
  expect(calls).toEqual([]);
  expect(controller.status).toContain("this node is the control plane endpoint");
  await controller.bootstrap();
  expect(controller.start).toEqual({ state: "new", initialCluster: "cp-2=https://10.5.0.2:2380" });
  abort.abort();
  await running;
});

test("bootstrap from a snapshot: the restore runs only once the refusals passed, and is said", async () => {
  const refused = setup({ members: [cp1] });
  const restores: string[] = [];
  const restore = async (dataDir: string) => {
    restores.push(dataDir);
    return "sha256 0123456789abcdef…, 45056 bytes";
  };
  await expect(refused.controller.bootstrap(restore)).rejects.toThrow("already has etcd");
  expect(restores).toEqual([]);

  const { controller, lines, deps } = setup({ address: "10.5.0.2" });
  await controller.bootstrap(restore);
  expect(restores).toEqual([deps.dataDir]);
  expect(controller.start).toEqual({ state: "new", initialCluster: "cp-2=https://10.5.0.2:2380" });
  expect(controller.status).toBe(
    "bootstrapped from a snapshot (sha256 0123456789abcdef…, 45056 bytes): a new cluster of one member holding its data",
  );
  expect(lines.at(-1)).toBe(`etcd: ${controller.status}`);

  const failing = setup({ address: "10.5.0.2" });
  await expect(
    failing.controller.bootstrap(async () => {
      throw new Error("no space left on device");
    }),
  ).rejects.toThrow("no space left on device");
  expect(failing.controller.start).toBeUndefined(); // a failed restore decides nothing
});
