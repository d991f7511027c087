import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineConfig } from "@bronze/config-schema";
import { parseKernelArgs } from "../node/kernel-args.ts";
import type { NodeState } from "../node/node-state.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { ControlledRunner } from "../testing/controlled-runner.ts";
import { settle } from "../testing/fake-clock.ts";
import { configChangeApplier } from "./config-change.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");

const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stopAll({ graceMs: 100 });
});

function setup(applyNetwork?: (config: MachineConfig) => Promise<void>) {
  const supervisor = new Supervisor();
  supervisors.push(supervisor);
  const state: NodeState = {
    mode: "maintenance",
    config: undefined,
    maintenanceReason: "no config",
    hostname: undefined,
  };
  const hostnames: string[] = [];
  const lines: string[] = [];
  const svc = (id: string): ServiceDefinition => ({
    id,
    dependsOn: [],
    restart: "forever",
    runner: new ControlledRunner(),
  });
  // Maintenance runs containerd only; a configured node also runs "kubelet".
  const services = (s: NodeState) =>
    s.mode === "configured" ? [svc("containerd"), svc("kubelet")] : [svc("containerd")];
  supervisor.register(...services(state));
  supervisor.start("containerd");
  const apply = configChangeApplier({
    platform: "container",
    args: parseKernelArgs(""),
    state,
    supervisor,
    services,
    setHostname: (n) => hostnames.push(n),
    ...(applyNetwork === undefined ? {} : { applyNetwork }),
    log: (l) => lines.push(l),
  });
  return { supervisor, state, hostnames, lines, apply };
}

test("a config applied without a reboot ends maintenance mode, sets the hostname, starts what it adds", async () => {
  const { supervisor, state, hostnames, lines, apply } = setup();
  await apply(WORKER);
  await settle();
  expect(state).toMatchObject({ mode: "configured", maintenanceReason: undefined, hostname: "worker-1" });
  expect(state.config?.machine.type).toBe("worker");
  expect(hostnames).toEqual(["worker-1"]);
  expect(supervisor.ids()).toEqual(["containerd", "kubelet"]);
  expect(supervisor.status("kubelet").state).toBe("Running");
  expect(supervisor.status("containerd").runs).toBe(1);
  expect(lines.at(-1)).toBe("config: applied without a reboot (leaving maintenance mode); starting kubelet");
  // Applying it again changes nothing that runs.
  await apply(WORKER);
  expect(hostnames).toEqual(["worker-1"]);
  expect(lines.at(-1)).toBe("config: applied without a reboot");
});

test("an invalid config is refused with the reasons, and the node state is untouched", async () => {
  const { state, apply } = setup();
  await expect(apply("version: v1alpha1\nmachine:\n  type: teapot\n")).rejects.toMatchObject({
    code: "Invalid",
    message: expect.stringContaining("machine.type"),
  });
  expect(state.mode).toBe("maintenance");
  expect(state.config).toBeUndefined();
});

test("a new machine.network is applied (leaving maintenance mode); the same one again is not", async () => {
  const applied: MachineConfig[] = [];
  const { lines, apply } = setup(async (c) => {
    applied.push(c);
  });
  const withNetwork = WORKER.replace(
    "      - interface: eth0\n        dhcp: true\n",
    "      - interface: eth1\n        addresses: [10.5.0.3/24]\n",
  );
  expect(withNetwork).toContain("10.5.0.3/24");
  await apply(withNetwork);
  expect(applied.map((c) => c.machine.network?.interfaces?.[0]?.addresses)).toEqual([["10.5.0.3/24"]]);
  expect(lines).toContain("config: applying machine.network");
  await apply(withNetwork);
  expect(applied).toHaveLength(1);
  await apply(withNetwork.replace("10.5.0.3/24", "10.5.0.4/24"));
  expect(applied).toHaveLength(2);
});

test("a network that cannot be configured is logged; the config is still applied", async () => {
  const { state, lines, apply } = setup(async () => {
    throw new Error("rtnetlink: socket: EPERM");
  });
  const withNetwork = WORKER.replace(
    "      - interface: eth0\n        dhcp: true\n",
    "      - interface: eth1\n        addresses: [10.5.0.3/24]\n",
  );
  await apply(withNetwork);
  expect(state.mode).toBe("configured");
  expect(lines).toContain("config: machine.network: rtnetlink: socket: EPERM");
});
