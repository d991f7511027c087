import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ServiceInfo, ServiceInfoSchema } from "@bronze/api";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";
import { health, unhealthy } from "./services.ts";

const svc = (init: MessageInitShape<typeof ServiceInfoSchema>): ServiceInfo =>
  create(ServiceInfoSchema, init);
let server: FakeApid;
const io = createTestIo();
let admin = "";
let reader = "";
/** Per node: how many ServiceList calls until etcd is healthy. */
const etcdHealthyAfter = new Map<string, number>();
const listCalls = new Map<string, number>();
/** The fake etcd cluster: its members' hostnames (a node is its member's hostname), the first leads. */
let etcdCluster = ["h1", "h2"];
/** Per member: how many EtcdMembers calls list it as a learner. */
const learnerFor = new Map<string, number>();
let membersCalls = 0;
/** Nodes whose EtcdStatus fails. */
const etcdSilent = new Set<string>();
/** A member id per hostname: its bytes, as hex. */
const idOf = (hostname: string) => BigInt(`0x${Buffer.from(hostname).toString("hex")}`);
const hex = (hostname: string) => idOf(hostname).toString(16);

beforeAll(async () => {
  const nodeOf = (ctx: { requestHeader: Headers }) => ctx.requestHeader.get("x-bronze-node") ?? "self";
  server = await startFakeApid({
    serviceList: (_req, ctx) => {
      const node = nodeOf(ctx);
      const calls = (listCalls.get(node) ?? 0) + 1;
      listCalls.set(node, calls);
      const healthy = calls >= (etcdHealthyAfter.get(node) ?? 1);
      const apid = svc({
        id: "apid",
        state: "Running",
        message: "Started",
        since: timestampFromDate(new Date("2026-01-01T00:00:00Z")),
      });
      if (node.startsWith("w")) return { services: [apid] }; // a worker: no etcd
      return {
        services: [
          apid,
          svc({
            id: "etcd",
            state: healthy ? "Running" : "Waiting",
            message: healthy ? "Health check successful" : "Waiting for network",
            health: { healthy, unknown: false },
          }),
          svc({ id: "install", state: "Skipped" }),
        ],
      };
    },
    hostname: (_req, ctx) => ({ hostname: nodeOf(ctx) }),
    etcdStatus: (_req, ctx) => {
      const node = nodeOf(ctx);
      if (etcdSilent.has(node)) throw new ConnectError("etcd does not answer on this node", Code.Unavailable);
      if (!etcdCluster.includes(node)) return { state: "waiting for bootstrap" };
      return { state: "joined", memberId: idOf(node), leaderId: idOf(etcdCluster[0] ?? "") };
    },
    etcdMembers: () => {
      membersCalls++;
      return {
        members: etcdCluster.map((h) => ({
          id: idOf(h),
          hostname: h,
          isLearner: membersCalls <= (learnerFor.get(h) ?? 0),
        })),
      };
    },
    etcdAlarmList: () => ({ alarms: [] }),
    serviceRestart: (req) => {
      if (req.id !== "etcd")
        throw new ConnectError(`restart refused: service "${req.id}" not found`, Code.NotFound);
      return { resp: `Service "${req.id}" restarted` };
    },
  });
  admin = join(io.dir, "admin");
  writeFileSync(admin, server.osconfig("os:admin", [server.endpoint], ["10.0.0.11"]));
  reader = join(io.dir, "reader");
  writeFileSync(reader, server.osconfig("os:reader", [server.endpoint], ["10.0.0.11"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("services: a table per node with state and health; NODE column for several nodes", async () => {
  const one = await osctl(io, "--osconfig", admin, "services");
  expect(one.code).toBe(0);
  expect(one.stdout.split("\n")[0]).toMatch(/^SERVICE\s+STATE\s+HEALTH\s+SINCE\s+MESSAGE$/);
  expect(one.stdout).toMatch(/apid\s+Running\s+-\s+2026-01-01T00:00:00.000Z\s+Started/);
  expect(one.stdout).toMatch(/etcd\s+Running\s+OK/);
  const two = await osctl(io, "--osconfig", admin, "services", "-n", "a,b");
  expect(two.stdout.split("\n")[0]).toMatch(/^NODE\s+SERVICE/);
  expect(two.stdout).toMatch(/\na\s+apid/);
  expect(two.stdout).toMatch(/\nb\s+apid/);
});

test("service <id> status and restart; a reader may look but not restart", async () => {
  const status = await osctl(io, "--osconfig", reader, "service", "etcd", "-o", "json");
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)[0].services.map((s: { id: string }) => s.id)).toEqual(["etcd"]);
  const missing = await osctl(io, "--osconfig", reader, "service", "nope");
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe('error: 10.0.0.11: no service "nope"\n');
  const restart = await osctl(io, "--osconfig", admin, "service", "etcd", "restart");
  expect(restart.code).toBe(0);
  expect(restart.stdout).toBe('RESPONSE\nService "etcd" restarted\n');
  const denied = await osctl(io, "--osconfig", reader, "service", "etcd", "restart");
  expect(denied.code).toBe(1);
  expect(denied.stderr).toBe("error: 10.0.0.11: permission denied: os:reader may not call ServiceRestart\n");
  const unknown = await osctl(io, "--osconfig", admin, "service", "nope", "restart");
  expect(unknown.stderr).toBe('error: 10.0.0.11: not found: restart refused: service "nope" not found\n');
  const bad = await osctl(io, "--osconfig", admin, "service", "etcd", "kill");
  expect(bad.code).toBe(2);
});

test("unhealthy(): not running, unhealthy and missing services are named; skipped ones ignored", () => {
  const services = [
    svc({ id: "a", state: "Running" }),
    svc({ id: "b", state: "Waiting", message: "for network" }),
    svc({ id: "c", state: "Running", health: { healthy: false, lastMessage: "probe failed" } }),
    svc({ id: "d", state: "Skipped" }),
  ];
  expect(unhealthy(services, [])).toBe("b: Waiting (for network), c: unhealthy (probe failed)");
  expect(unhealthy(services, ["a"])).toBeUndefined();
  expect(unhealthy(services, ["a", "zz"])).toBe("zz: not present");
});

test("health waits with progress on stderr until every node is healthy", async () => {
  etcdHealthyAfter.set("h1", 3);
  etcdHealthyAfter.set("h2", 1);
  io.err.length = 0;
  io.out.length = 0;
  const res = await health({ services: [], intervalMs: 10 }, { osconfig: admin, nodes: ["h1", "h2"] }, io);
  expect(res).toBe(0);
  const err = io.err.join("");
  expect(err).toContain("h1: waiting: etcd: Waiting (Waiting for network)\n");
  expect(err).toContain("h1: healthy\n");
  expect(err).toContain("h2: healthy\n");
  expect(err).not.toContain("h2: waiting");
  expect(err.match(/h1: waiting/g)).toHaveLength(1); // printed when the state changes, not every poll
  expect(listCalls.get("h1")).toBe(3);
  expect(io.out.join("")).toContain("all nodes healthy");
});

test("health times out with the last state seen", async () => {
  etcdHealthyAfter.set("never", 1_000_000);
  const res = await osctl(io, "--osconfig", admin, "-n", "never", "--timeout", "300ms", "health");
  expect(res.code).toBe(1);
  expect(res.stderr).toContain("never: waiting: etcd: Waiting (Waiting for network)");
  expect(res.stderr).toContain(
    "error: timed out after 300ms waiting for the nodes to be healthy; last seen: never: etcd: Waiting (Waiting for network)",
  );
});

test("health on control planes waits for etcd too: a learner until promoted; workers are not asked", async () => {
  etcdCluster = ["cp1", "cp2", "cp3"]; // cp3 is outside -n: it need only be started and voting
  learnerFor.set("cp3", 2);
  membersCalls = 0;
  server.calls.length = 0;
  io.err.length = 0;
  io.out.length = 0;
  const res = await health(
    { services: [], intervalMs: 10 },
    { osconfig: admin, nodes: ["cp1", "cp2", "w1"] },
    io,
  );
  expect(res).toBe(0);
  const err = io.err.join("");
  const learner = `etcd member cp3 (${hex("cp3")}): a learner, not promoted yet`;
  expect(err).toContain(`cp1: waiting: ${learner}\n`);
  expect(err).toContain(`cp2: waiting: ${learner}\n`);
  expect(err.match(/cp1: waiting/g)).toHaveLength(1);
  expect(err).toContain("cp1: healthy\n");
  expect(err).toContain("cp2: healthy\n");
  expect(err).toContain("w1: healthy\n");
  expect(err).not.toContain("w1: waiting");
  expect(membersCalls).toBe(3);
  expect(io.out.join("")).toContain("all nodes healthy");
  const etcdCalls = server.calls.filter((c) => c.method.startsWith("Etcd"));
  expect(
    etcdCalls
      .filter((c) => c.method === "EtcdStatus")
      .map((c) => c.node)
      .sort(),
  ).toEqual(["cp1", "cp1", "cp1", "cp2", "cp2", "cp2"]);
  expect(etcdCalls.some((c) => c.node === "w1")).toBe(false);
  learnerFor.clear();
});

test("health times out naming the etcd member that does not answer; its node's services are healthy", async () => {
  etcdCluster = ["cp1", "cp2"];
  etcdSilent.add("cp2");
  const res = await osctl(io, "--osconfig", admin, "-n", "cp1,cp2", "--timeout", "300ms", "health");
  etcdSilent.clear();
  expect(res.code).toBe(1);
  const missing = `etcd member cp2 (${hex("cp2")}) does not answer: unavailable: etcd does not answer on this node`;
  expect(res.stderr).toContain(`cp1: waiting: ${missing}\n`);
  expect(res.stderr).toContain(`cp2: waiting: ${missing}\n`);
  expect(res.stderr).toContain(`last seen: cp1: ${missing}; cp2: ${missing}`);
  expect(res.stderr).not.toContain("healthy\n");
});
