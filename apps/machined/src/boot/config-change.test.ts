import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ControlledRunner } from "../services/controlled-runner.ts";
import { settle } from "../services/fake-clock.ts";
import type { ServiceDefinition } from "../services/service.ts";
import { Supervisor } from "../services/supervisor.ts";
import { configChangeApplier } from "./config-change.ts";
import { parseKernelArgs } from "./kernel-args.ts";
import type { NodeState } from "./phases.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");

const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stopAll({ graceMs: 100 });
});

function setup() {
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
