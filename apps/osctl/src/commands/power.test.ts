import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";
import { reboot } from "./power.ts";

let server: FakeApid;
const io = createTestIo();
let operator = "";
let reader = "";

/** A simulated node per name: down for `downPolls` ServiceList calls after a reboot, then a new boot. */
interface SimNode {
  boot: number;
  downLeft: number;
  downPolls: number;
  rebooted: boolean;
  /** Back before the first poll: only machined's new start time tells the reboot happened. */
  fast?: boolean;
}
const nodes = new Map<string, SimNode>();
const sim = (name: string) => {
  let n = nodes.get(name);
  if (!n) {
    n = { boot: 1000, downLeft: 0, downPolls: 2, rebooted: false };
    nodes.set(name, n);
  }
  return n;
};
const shutdowns: { node: string | null; force: boolean }[] = [];

beforeAll(async () => {
  server = await startFakeApid({
    reboot: (_req, ctx) => {
      const n = sim(ctx.requestHeader.get("x-bronze-node") ?? "self");
      n.rebooted = true;
      if (n.fast) n.boot += 5000;
      else n.downLeft = n.downPolls;
      return {};
    },
    serviceList: (_req, ctx) => {
      const n = sim(ctx.requestHeader.get("x-bronze-node") ?? "self");
      if (n.downLeft > 0) {
        n.downLeft--;
        if (n.downLeft === 0 && n.downPolls < 1_000_000) n.boot += 5000;
        throw new ConnectError("connect ECONNREFUSED", Code.Unavailable);
      }
      return { services: [{ id: "machined", state: "Running", since: timestampFromMs(n.boot) }] };
    },
    shutdown: (req, ctx) => {
      shutdowns.push({ node: ctx.requestHeader.get("x-bronze-node"), force: req.force });
      return {};
    },
  });
  operator = join(io.dir, "operator");
  writeFileSync(operator, server.osconfig("os:operator", [server.endpoint], ["10.0.0.11"]));
  reader = join(io.dir, "reader");
  writeFileSync(reader, server.osconfig("os:reader", [server.endpoint], ["10.0.0.11"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("a reader's reboot is refused by the server's role check, named with the node", async () => {
  const res = await osctl(io, "--osconfig", reader, "reboot");
  expect(res.code).toBe(1);
  expect(res.stderr).toBe("error: 10.0.0.11: permission denied: os:reader may not call Reboot\n");
  expect(sim("10.0.0.11").rebooted).toBe(false);
});

test("an operator reboots two nodes without waiting", async () => {
  const res = await osctl(io, "--osconfig", operator, "-n", "r1,r2", "reboot");
  expect(res.code).toBe(0);
  expect(res.stderr).toBe("r1: reboot requested\nr2: reboot requested\n");
  expect(sim("r1").rebooted && sim("r2").rebooted).toBe(true);
});

test("reboot --wait: progress while the nodes are down, done when they are back", async () => {
  sim("w1").downPolls = 1;
  sim("w2").downPolls = 3;
  io.err.length = 0;
  io.out.length = 0;
  const code = await reboot({ wait: true, intervalMs: 10 }, { osconfig: operator, nodes: ["w1", "w2"] }, io);
  expect(code).toBe(0);
  const err = io.err.join("");
  expect(err).toContain("w1: reboot requested\n");
  expect(err).toContain("w1: down (unavailable: connect ECONNREFUSED)\n");
  expect(err).toMatch(/w1: back up after \d+s\n/);
  expect(err).toMatch(/w2: back up after \d+s\n/);
  expect(err.match(/w2: down/g)).toHaveLength(1);
  expect(err.indexOf("w2: down")).toBeLessThan(err.indexOf("w2: back up"));
  expect(io.out.join("")).toBe("rebooted: w1, w2\n");
});

test("reboot --wait recognises a reboot it never saw down by machined's new start", async () => {
  sim("quick").fast = true;
  io.err.length = 0;
  io.out.length = 0;
  const code = await reboot(
    { wait: true, intervalMs: 10 },
    { osconfig: operator, nodes: ["quick"], timeout: 5000 },
    io,
  );
  expect(code).toBe(0);
  expect(io.err.join("")).not.toContain("quick: down");
  expect(io.err.join("")).toMatch(/quick: back up after \d+s\n/);
});

test("reboot --wait that never comes back times out with the last state", async () => {
  sim("stuck").downPolls = 1_000_000;
  const res = await osctl(
    io,
    "--osconfig",
    operator,
    "-n",
    "stuck",
    "--timeout",
    "2500ms",
    "reboot",
    "--wait",
  );
  expect(res.code).toBe(1);
  expect(res.stderr).toContain("stuck: down (unavailable: connect ECONNREFUSED)");
  expect(res.stderr).toContain(
    "error: timed out after 2500ms waiting for the reboot; last seen: stuck: down (unavailable: connect ECONNREFUSED)",
  );
});

test("shutdown passes --force; a reader may not", async () => {
  const res = await osctl(io, "--osconfig", operator, "shutdown", "--force");
  expect(res.code).toBe(0);
  expect(shutdowns).toEqual([{ node: "10.0.0.11", force: true }]);
  const denied = await osctl(io, "--osconfig", reader, "shutdown");
  expect(denied.stderr).toBe("error: 10.0.0.11: permission denied: os:reader may not call Shutdown\n");
});
