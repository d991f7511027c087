// Stats of machined's services from a cgroup root fixture (a temporary directory laid out like
// cgroup v2: <root>/<service id>/memory.current and cpu.stat).
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { ControlledRunner } from "../../testing/controlled-runner.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import { readCgroupUsage } from "./stats.ts";

const CPU_STAT = "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 0\n";

const f = makeFixture();
afterAll(() => f.cleanup());
const cgroups = join(f.dir, "cgroup");
const withCgroups = makeFixture({ cgroupRoot: cgroups });
afterAll(() => withCgroups.cleanup());

for (const id of ["containerd", "apid", "trustd", "machined"]) {
  withCgroups.supervisor.register({ id, dependsOn: [], restart: "once", runner: new ControlledRunner() });
}

function cgroup(id: string, files: Record<string, string>): void {
  mkdirSync(join(cgroups, id), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cgroups, id, name), text);
}

test("each service with a cgroup: memory.current bytes and usage_usec as nanoseconds", async () => {
  cgroup("containerd", { "memory.current": "41943040\n", "cpu.stat": CPU_STAT });
  cgroup("apid", { "memory.current": "1048576\n", "cpu.stat": "usage_usec 7\n" });
  // trustd: a cgroup without the memory controller; machined (in-process): no cgroup at all.
  cgroup("trustd", { "cpu.stat": CPU_STAT });
  const { stats } = await withCgroups.client("os:reader").stats({});
  expect(
    stats.map(({ namespace, id, memoryUsage, cpuUsage }) => ({ namespace, id, memoryUsage, cpuUsage })),
  ).toEqual([
    { namespace: "", id: "containerd", memoryUsage: 41943040n, cpuUsage: 2_500_000n },
    { namespace: "", id: "apid", memoryUsage: 1048576n, cpuUsage: 7000n },
  ]);
});

test("services without cgroups (container mode): an empty list, no made-up numbers", async () => {
  f.supervisor.register({ id: "containerd", dependsOn: [], restart: "once", runner: new ControlledRunner() });
  expect((await f.client("os:admin").stats({})).stats).toEqual([]);
});

test("a malformed cgroup file is an Internal error naming the file", async () => {
  cgroup("bad", { "memory.current": "lots\n", "cpu.stat": CPU_STAT });
  expect(() => readCgroupUsage(join(cgroups, "bad"))).toThrow(
    `${join(cgroups, "bad", "memory.current")}: expected a number of bytes, got "lots"`,
  );
  cgroup("trustd", { "memory.current": "10\n", "cpu.stat": "nr_periods 0\n" });
  const e = await withCgroups
    .client("os:admin")
    .stats({})
    .catch((x) => ConnectError.from(x));
  expect(e).toBeInstanceOf(ConnectError);
  expect((e as ConnectError).code).toBe(Code.Internal);
  expect((e as ConnectError).rawMessage).toBe(
    `reading the stats of service trustd: ${join(cgroups, "trustd", "cpu.stat")}: no usage_usec line`,
  );
});
