import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MachineConfig, validateConfig } from "@bronze/config-schema";
import { eventually } from "@bronze/testing";
import type { InstallPlan } from "../install/machine-install.ts";
import { parseKernelArgs } from "../node/kernel-args.ts";
import { type NodeState, newNodeState, recordConfigured, recordMaintenance } from "../node/node-state.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { ControlledRunner } from "../testing/controlled-runner.ts";
import { FakeClock } from "../testing/fake-clock.ts";
import {
  ConfigApplier,
  type ConfigApplierDeps,
  ConfigApplyError,
  revertInterruptedTrial,
} from "./config-apply.ts";
import { ConfigStore } from "./config-store.ts";
import { ConfigWorkerClient, ConfigWorkerError } from "./config-worker-client.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
const WORKER2 = WORKER.replace("hostname: worker-1", "hostname: worker-2");
const ASSETS = "https://10.0.0.1:8443/assets";
/** The worker config with a machine.install the qemu platform acts on (a disk and an assets URL). */
const INSTALLS = WORKER.replace(
  / {2}install:\n(?: {4}.*\n)+/,
  `  install:\n    disk: /dev/vdb\n    image: ${ASSETS}\n`,
);

function parse(text: string): MachineConfig {
  const result = validateConfig(text, { mode: "container" });
  if (result.config === undefined) throw new Error("test config is invalid");
  return result.config;
}

/** The real config worker, shared by the file's appliers (it starts once, and again after idling). */
const check = new ConfigWorkerClient();

const dirs: string[] = [];
const supervisors: Supervisor[] = [];
afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stopAll({ graceMs: 100 });
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "config-apply-"));
  dirs.push(dir);
  return dir;
}

const svc = (id: string, runner = new ControlledRunner(), dependsOn: string[] = []): ServiceDefinition => ({
  id,
  dependsOn,
  restart: "forever",
  runner,
});

function setup(
  overrides: Partial<ConfigApplierDeps> = {},
  start: "maintenance" | "configured" = "configured",
) {
  const supervisor = new Supervisor({ stopGraceMs: 500 });
  supervisors.push(supervisor);
  const store = new ConfigStore(join(tempDir(), "state"));
  const state = newNodeState();
  if (start === "maintenance") recordMaintenance(state, "no config");
  const lines: string[] = [];
  const hostnames: string[] = [];
  const reboots: number[] = [];
  const clock = new FakeClock();
  const applier = new ConfigApplier({
    platform: "container",
    args: parseKernelArgs(""),
    state,
    store,
    clock,
    check,
    supervisor,
    services: () => [],
    persists: () => true,
    setHostname: (name) => hostnames.push(name),
    reboot: async () => {
      reboots.push(clock.now());
    },
    log: (l) => lines.push(l),
    ...overrides,
  });
  return { supervisor, store, state, lines, hostnames, reboots, clock, applier };
}

async function refusal(p: Promise<unknown>): Promise<ConfigApplyError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConfigApplyError) return e;
    throw e;
  }
  throw new Error("expected a ConfigApplyError");
}

describe("leaving maintenance mode (C1)", () => {
  /** A node in maintenance mode running the maintenance apid; configured, it runs pki then apid again. */
  function maintenanceNode() {
    const apid = new ControlledRunner();
    const pki = new ControlledRunner();
    const order: string[] = [];
    // pki is up once its certificates are written: here, once the test says so.
    let certificates = false;
    const pkiService: ServiceDefinition = {
      ...svc("pki", pki),
      healthCheck: {
        initialDelayMs: 0,
        periodMs: 10,
        timeoutMs: 1000,
        check: async () => {
          if (!certificates) throw new Error("no certificates yet");
        },
      },
    };
    const t = setup(
      {
        services: (s: NodeState) => {
          if (s.mode === "configured")
            order.push(`services for a configured node (apid ${t.supervisor.status("apid").state})`);
          return s.mode === "configured" ? [pkiService, svc("apid", apid)] : [svc("apid", apid)];
        },
      },
      "maintenance",
    );
    t.supervisor.register(svc("apid", apid));
    t.supervisor.start("apid");
    return {
      ...t,
      apid,
      pki,
      order,
      writeCertificates: () => {
        certificates = true;
      },
    };
  }

  test("the maintenance apid stops before the node is configured; apid comes back once the certificates are written", async () => {
    const t = maintenanceNode();
    await t.apid.nthRun(1);
    expect(t.applier.maintenanceCallsAllowed()).toBe(true);
    const outcome = await t.applier.apply({
      text: WORKER,
      mode: "no-reboot",
      dryRun: false,
      caller: "maintenance",
    });
    expect(outcome.modeDetails).toBe("Applied without a reboot: the node leaves maintenance mode");
    // From the moment the config is accepted, the maintenance apid's calls are refused...
    expect(t.applier.maintenanceCallsAllowed()).toBe(false);
    const again = await refusal(
      t.applier.apply({ text: WORKER2, mode: "no-reboot", dryRun: true, caller: "maintenance" }),
    );
    expect(again.code).toBe("Refused");
    expect(again.message).toContain("not in maintenance mode");
    // ...and the node is configured only once the maintenance apid has stopped.
    await eventually("the node is configured", () => t.state.mode === "configured");
    expect(t.order).toEqual(["services for a configured node (apid Finished)"]);
    expect(t.apid.runs[0]?.stopRequested).toBe(true);
    expect(t.state.hostname).toBe("worker-1");
    expect(t.hostnames).toEqual(["worker-1"]);
    // apid starts again (with the node's certificates) only once pki is up.
    await t.pki.nthRun(1);
    await eventually("pki's health is checked", () => t.supervisor.status("pki").health?.healthy === false);
    expect(t.apid.runs).toHaveLength(1);
    t.writeCertificates();
    await t.apid.nthRun(2);
    expect(t.lines).toContain("config: stopping the maintenance apid");
    expect(t.lines).toContain("config: left maintenance mode; starting pki");
  });

  test("a maintenance caller never sees the stored config, not even an invalid one the node booted past", async () => {
    const t = setup({}, "maintenance");
    // A stored config that no longer validates put the node in maintenance mode: it holds secrets.
    t.store.save("machine:\n  ca:\n    key: SECRET-CA-KEY\n");
    const dry = await t.applier.apply({ text: WORKER, mode: "auto", dryRun: true, caller: "maintenance" });
    expect(dry.diff).not.toContain("SECRET-CA-KEY");
    expect(dry.diff.startsWith("--- current\n+++ new\n@@ -0,0 +1,")).toBe(true);
    expect(dry.diff.split("\n").filter((l) => l.startsWith("-") && !l.startsWith("---"))).toEqual([]);
  });

  test("a configured node refuses the maintenance apid's callers outright, dry runs included", async () => {
    const t = setup();
    t.store.save(WORKER);
    recordConfigured(t.state, parse(WORKER));
    for (const dryRun of [true, false]) {
      const err = await refusal(
        t.applier.apply({ text: WORKER2, mode: "no-reboot", dryRun, caller: "maintenance" }),
      );
      expect(err.code).toBe("Refused");
    }
    expect(t.store.current()).toBe(WORKER);
  });

  test("an apply that fails in maintenance mode leaves nothing behind: no config kept, still in maintenance (L3)", async () => {
    const t = setup(
      {
        setHostname: () => {
          throw new Error("sethostname: EINVAL");
        },
      },
      "maintenance",
    );
    const err = await refusal(
      t.applier.apply({ text: WORKER, mode: "no-reboot", dryRun: false, caller: "maintenance" }),
    );
    expect(err.code).toBe("ApplyFailed");
    expect(err.message).toContain("sethostname: EINVAL");
    expect(t.store.current()).toBeUndefined();
    expect(t.state.mode).toBe("maintenance");
    expect(t.state.config).toBeUndefined();
    expect(t.applier.maintenanceCallsAllowed()).toBe(true);
  });
});

describe("try mode", () => {
  test("applied, then reverted after the timeout, the previous config applied again", async () => {
    const t = setup();
    t.store.save(WORKER);
    await t.applier.apply({
      text: WORKER2,
      mode: "try",
      tryTimeoutMs: 30_000,
      dryRun: false,
      caller: "authenticated",
    });
    expect(t.state.hostname).toBe("worker-2");
    await t.clock.advance(29_999);
    expect(t.store.current()).toBe(WORKER2);
    await t.clock.advance(1);
    await eventually("the trial is reverted", () => t.store.current() === WORKER);
    await eventually("the previous hostname is back", () => t.state.hostname === "worker-1");
    expect(t.lines).toContain("config: the config on trial was not confirmed: the previous config is back");
  });

  test("an unconfirmed trial found at startup is reverted, and said so", () => {
    const store = new ConfigStore(tempDir());
    store.save("old");
    store.saveForTrial("new");
    const lines: string[] = [];
    expect(revertInterruptedTrial(store, (l) => lines.push(l))).toBe(true);
    expect(store.current()).toBe("old");
    expect(existsSync(store.previousPath)).toBe(false);
    expect(lines).toEqual([
      "config: a config on trial was never confirmed: the previous config is back in force",
    ]);
  });

  test("no trial at startup: nothing changes, nothing is logged", () => {
    const store = new ConfigStore(tempDir());
    store.save("current");
    const lines: string[] = [];
    expect(revertInterruptedTrial(store, (l) => lines.push(l))).toBe(false);
    expect(store.current()).toBe("current");
    expect(lines).toEqual([]);
  });
});

describe("installs", () => {
  function installing(start: "maintenance" | "configured", persists = true) {
    const plans: InstallPlan[] = [];
    let finish: (err?: Error) => void = () => {};
    const t = setup(
      {
        platform: "qemu",
        persists: () => persists,
        install: (plan) => {
          plans.push(plan);
          return new Promise((resolve, reject) => {
            finish = (err) => (err ? reject(err) : resolve());
          });
        },
      },
      start,
    );
    return { ...t, plans, finish: (err?: Error) => finish(err) };
  }

  test("a config that installs cannot be tried, nor applied without a reboot outside maintenance mode", async () => {
    const t = installing("configured");
    t.store.save(WORKER);
    const tried = await refusal(
      t.applier.apply({ text: INSTALLS, mode: "try", dryRun: false, caller: "authenticated" }),
    );
    expect(tried.message).toContain("cannot be tried and reverted: apply it with --mode auto");
    const now = await refusal(
      t.applier.apply({ text: INSTALLS, mode: "no-reboot", dryRun: false, caller: "authenticated" }),
    );
    expect(now.message).toContain("which ends in a reboot: apply it with --mode auto");
    expect(t.store.current()).toBe(WORKER);
    expect(t.plans).toEqual([]);
  });

  test("in maintenance mode it is how a node leaves it: applied, and the install runs; every apply meanwhile is refused", async () => {
    const t = installing("maintenance");
    const r = await t.applier.apply({
      text: INSTALLS,
      mode: "no-reboot",
      dryRun: false,
      caller: "authenticated",
    });
    expect(r.modeDetails).toBe("Applied without a reboot: the node leaves maintenance mode");
    expect(t.plans.map((p) => p.disk)).toEqual(["/dev/vdb"]);
    expect(t.applier.installing()).toBe(true);
    for (const mode of ["auto", "no-reboot", "staged", "try"] as const) {
      const err = await refusal(
        t.applier.apply({ text: WORKER2, mode, dryRun: false, caller: "authenticated" }),
      );
      expect(err.message).toContain("an install is running");
    }
    expect(t.store.current()).toBe(INSTALLS);
    t.finish(new Error("/dev/vdb is not empty: set machine.install.wipe: true"));
    await eventually("the install ends", () => !t.applier.installing());
    expect(t.lines).toContain("install failed: /dev/vdb is not empty: set machine.install.wipe: true");
  });

  test("a diskless node refuses auto and staged, except auto for a config that installs (it writes itself to the disk)", async () => {
    const t = installing("configured", false);
    t.store.save(WORKER);
    for (const mode of ["auto", "staged"] as const) {
      const err = await refusal(
        t.applier.apply({ text: WORKER2, mode, dryRun: false, caller: "authenticated" }),
      );
      expect(err.message).toContain("this node is diskless");
      expect(err.message).toContain("--mode no-reboot");
    }
    const staged = await refusal(
      t.applier.apply({ text: INSTALLS, mode: "staged", dryRun: false, caller: "authenticated" }),
    );
    expect(staged.message).toContain("a staged config would be lost");
    const auto = await t.applier.apply({
      text: INSTALLS,
      mode: "auto",
      dryRun: false,
      caller: "authenticated",
    });
    expect(auto.modeDetails).toBe("Installing the node to its disk: it reboots into it when done");
    expect(t.plans).toHaveLength(1);
    expect(t.reboots).toEqual([]);
  });
});

test("an invalid config is refused before anything is kept; a valid one is validated once", async () => {
  const t = setup();
  t.store.save(WORKER);
  const err = await refusal(
    t.applier.apply({
      text: "version: v1alpha1\nmachine:\n  type: teapot\n",
      mode: "no-reboot",
      dryRun: false,
      caller: "authenticated",
    }),
  );
  expect(err.code).toBe("Invalid");
  expect(err.message).toContain("machine.type");
  expect(t.store.current()).toBe(WORKER);
});

describe("the config worker (issue 10)", () => {
  /** A check whose validation (or diff) fails as the worker client does. */
  const failing = (step: "validate" | "diff", error: ConfigWorkerError): ConfigApplierDeps["check"] => ({
    validate: (text, mode) => (step === "validate" ? Promise.reject(error) : check.validate(text, mode)),
    diff: (base, text, names) => (step === "diff" ? Promise.reject(error) : check.diff(base, text, names)),
  });
  const apply = (t: ReturnType<typeof setup>) =>
    t.applier.apply({ text: WORKER2, mode: "no-reboot", dryRun: false, caller: "authenticated" });

  test("a validation past its time budget refuses the config as Invalid; nothing is kept", async () => {
    const timeout = new ConfigWorkerError(
      "Timeout",
      "validating the config took longer than 10s (the limit)",
    );
    const t = setup({ check: failing("validate", timeout) });
    t.store.save(WORKER);
    const err = await refusal(apply(t));
    expect(err.code).toBe("Invalid");
    expect(err.message).toBe("validating the config took longer than 10s (the limit); nothing was kept");
    expect(err.cause).toBe(timeout);
    expect(t.store.current()).toBe(WORKER);
    expect(t.lines).toContain("config: validating the config took longer than 10s (the limit)");
  });

  test("a worker that fails (here during the diff) refuses the apply; nothing is kept, the next apply works", async () => {
    const t = setup({
      check: failing("diff", new ConfigWorkerError("Failed", "the config worker exited (code 1)")),
    });
    t.store.save(WORKER);
    const err = await refusal(apply(t));
    expect(err.code).toBe("Refused");
    expect(err.message).toBe("the config worker exited (code 1); nothing was kept");
    expect(t.store.current()).toBe(WORKER);
    expect(t.hostnames).toEqual([]);
    const ok = setup();
    ok.store.save(WORKER);
    expect((await apply(ok)).modeDetails).toBe("Applied without a reboot");
  });
});

test("no-reboot on a configured node: a new hostname, the services the config adds, the certificates issued again", async () => {
  const pki = new ControlledRunner();
  const kubelet = new ControlledRunner();
  const t = setup({
    services: (s) =>
      s.config?.machine.network?.hostname === "worker-2"
        ? [svc("pki", pki), svc("kubelet", kubelet)]
        : [svc("pki", pki)],
  });
  t.store.save(WORKER);
  t.supervisor.register(svc("pki", pki));
  t.supervisor.start("pki");
  await pki.nthRun(1);
  await t.applier.apply({ text: WORKER2, mode: "no-reboot", dryRun: false, caller: "authenticated" });
  expect(t.state).toMatchObject({ mode: "configured", hostname: "worker-2" });
  expect(t.lines.at(-1)).toBe("config: applied without a reboot; starting kubelet");
  await kubelet.nthRun(1);
  // The same config again adds nothing: the certificates are issued again (hostname, SANs).
  await t.applier.apply({ text: WORKER2, mode: "no-reboot", dryRun: false, caller: "authenticated" });
  expect(t.lines).toContain("config: re-issuing the node's certificates");
  await pki.nthRun(2);
});
