import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApplyMode } from "@bronze/api";
import { eventually } from "@bronze/testing";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ConfigApplyError, DEFAULT_TRY_TIMEOUT_MS } from "../../config/config-apply.ts";
import { ConfigWorkerError } from "../../config/config-worker-client.ts";
import { makeFixture } from "../testing/api-fixture.ts";

const testdata = join(import.meta.dir, "../../../../../libs/config-schema/testdata");
const worker = readFileSync(join(testdata, "worker.yaml"), "utf8");
const controlplane = readFileSync(join(testdata, "controlplane.yaml"), "utf8");
const worker2 = worker.replace("hostname: worker-1", "hostname: worker-2");
const worker3 = worker.replace("hostname: worker-1", "hostname: worker-3");
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

const fixtures: { cleanup(): Promise<void> }[] = [];
afterAll(async () => {
  for (const f of fixtures) await f.cleanup();
});
function fixture(...args: Parameters<typeof makeFixture>) {
  const f = makeFixture(...args);
  fixtures.push(f);
  return f;
}

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
}

test("GetConfiguration: admins get the config as stored, others get it redacted", async () => {
  const f = fixture();
  expect(dec((await f.client("os:reader").getConfiguration({})).data)).toBe("");
  f.store.save(controlplane);
  const admin = await f.client("os:admin").getConfiguration({});
  expect(dec(admin.data)).toBe(controlplane);
  expect(admin.redacted).toBe(false);
  for (const role of ["os:reader", "os:operator"] as const) {
    const r = await f.client(role).getConfiguration({});
    expect(r.redacted).toBe(true);
    const text = dec(r.data);
    expect(text).not.toContain("q3k7vz.8f2mxw0c1pl4hb9d");
    expect(text).not.toContain("ng9/qWvt1jyv/8BDOa/u6c92KFXWPfS9qVYoJfL6uiE=");
    expect(text).toContain('token: "******"');
    expect(text).toContain("clusterName: bronze-lab");
  }
});

test("GetConfiguration redacts in the config worker: one that fails is Internal saying so", async () => {
  const failed = new ConfigWorkerError("Failed", "the config worker exited (code 1)");
  const refuse = () => Promise.reject(failed);
  const f = fixture({}, { check: { validate: refuse, diff: refuse, redact: refuse } });
  f.store.save(controlplane);
  expect(dec((await f.client("os:admin").getConfiguration({})).data)).toBe(controlplane);
  const e = await failure(f.client("os:reader").getConfiguration({}));
  expect(e.code).toBe(Code.Internal);
  expect(e.rawMessage).toBe("the config worker exited (code 1)");
});

test("an invalid config is InvalidArgument listing every issue with path and line; nothing is written", async () => {
  const f = fixture();
  f.store.save(worker);
  const before = readFileSync(join(f.dir, "state", "config.yaml"));
  const bad = worker
    .replace("hostname: worker-1", "hostname: worker-1\n    bogus: 1")
    .replace("endpoint: https://10.0.0.10:6443", "endpoint: not a url");
  for (const mode of [ApplyMode.AUTO, ApplyMode.NO_REBOOT, ApplyMode.STAGED, ApplyMode.TRY]) {
    const err = await failure(f.client("os:admin").applyConfiguration({ data: enc(bad), mode }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain("invalid machine config (2 errors)");
    expect(err.rawMessage).toContain(
      '14:5: error: machine.network.bogus: unknown field "bogus" [unknown_field]',
    );
    expect(err.rawMessage).toContain("30:15: error: cluster.controlPlane.endpoint:");
  }
  expect(Buffer.compare(readFileSync(join(f.dir, "state", "config.yaml")), before)).toBe(0);
  expect(f.store.staged()).toBeUndefined();
  expect(f.state.config).toBeUndefined();
  expect(f.sequencer.calls).toEqual([]);
});

test("invalid UTF-8 and unknown modes are refused", async () => {
  const f = fixture();
  const admin = f.client("os:admin");
  expect((await failure(admin.applyConfiguration({ data: new Uint8Array([0xff, 0xfe]) }))).code).toBe(
    Code.InvalidArgument,
  );
  const err = await failure(admin.applyConfiguration({ data: enc(worker), mode: 42 as ApplyMode }));
  expect(err.code).toBe(Code.InvalidArgument);
  expect(err.rawMessage).toContain("unknown mode 42");
});

test("dry run: the diff and warnings, nothing written or applied", async () => {
  const f = fixture();
  f.store.save(worker);
  const r = await f
    .client("os:admin")
    .applyConfiguration({ data: enc(worker2), mode: ApplyMode.NO_REBOOT, dryRun: true });
  expect(r.dryRun).toBe(true);
  expect(r.mode).toBe(ApplyMode.NO_REBOOT);
  expect(r.diff).toContain("--- current\n+++ new\n");
  expect(r.diff).toContain("-    hostname: worker-1\n+    hostname: worker-2\n");
  expect(r.warnings).toEqual([
    "9:3: warning: machine.install: machine.install is ignored in container mode (nothing is installed) [ignored_in_mode]",
  ]);
  expect(f.store.current()).toBe(worker);
  expect(f.state.config).toBeUndefined();
  expect(f.hostnames).toEqual([]);
});

test("staged: kept for the next boot, the config in force untouched", async () => {
  const f = fixture();
  f.store.save(worker);
  const r = await f.client("os:admin").applyConfiguration({ data: enc(worker2), mode: ApplyMode.STAGED });
  expect(r.mode).toBe(ApplyMode.STAGED);
  expect(r.modeDetails).toContain("next reboot");
  expect(f.store.staged()).toBe(worker2);
  expect(f.store.current()).toBe(worker);
  expect(f.hostnames).toEqual([]);
  // A second staged apply diffs against the staged config.
  const again = await f
    .client("os:admin")
    .applyConfiguration({ data: enc(worker3), mode: ApplyMode.STAGED, dryRun: true });
  expect(again.diff).toContain("--- staged\n");
  expect(again.diff).toContain("-    hostname: worker-2\n+    hostname: worker-3\n");
});

test("no-reboot: saved and applied; a failed apply restores the previous config", async () => {
  const f = fixture();
  f.store.save(worker);
  const r = await f.client("os:admin").applyConfiguration({ data: enc(worker2), mode: ApplyMode.NO_REBOOT });
  expect(r.modeDetails).toBe("Applied without a reboot");
  expect(f.store.current()).toBe(worker2);
  expect(f.hostnames).toEqual(["worker-2"]);
  expect(f.state.config?.machine.network?.hostname).toBe("worker-2");

  const g = fixture(
    {},
    {
      setHostname: () => {
        throw new Error("sethostname(2): EINVAL");
      },
    },
  );
  g.store.save(worker);
  const err = await failure(
    g.client("os:admin").applyConfiguration({ data: enc(worker2), mode: ApplyMode.NO_REBOOT }),
  );
  expect(err.code).toBe(Code.Internal);
  expect(err.rawMessage).toContain("the previous config is kept: sethostname(2): EINVAL");
  expect(g.store.current()).toBe(worker);
});

test("auto (and unspecified): saved, then a reboot is requested", async () => {
  const f = fixture();
  f.store.save(worker3);
  const r = await f.client("os:admin").applyConfiguration({ data: enc(worker) });
  expect(r.mode).toBe(ApplyMode.AUTO);
  expect(r.modeDetails).toBe("Rebooting to apply the config");
  expect(r.diff.startsWith("--- current\n+++ new\n")).toBe(true);
  expect(f.store.current()).toBe(worker);
  expect(f.sequencer.calls).toEqual(["reboot"]);

  const g = fixture();
  g.sequencer.locked = "upgrade";
  g.store.save(worker3);
  const err = await failure(
    g.client("os:admin").applyConfiguration({ data: enc(worker), mode: ApplyMode.AUTO }),
  );
  expect(err.code).toBe(Code.FailedPrecondition);
  expect(err.rawMessage).toContain("the config is saved but the reboot was refused");
  expect(err.rawMessage).toContain("the upgrade sequence is running");
  expect(g.store.current()).toBe(worker);
});

test("auto in maintenance mode applies without a reboot: the node boots on with the config", async () => {
  const f = fixture({}, { maintenance: true });
  const r = await f.client("os:admin").applyConfiguration({ data: enc(worker) });
  expect(r.mode).toBe(ApplyMode.AUTO);
  expect(r.modeDetails).toBe("Applied without a reboot: the node leaves maintenance mode");
  expect(r.diff.startsWith("--- current\n+++ new\n@@ -0,0 +1,")).toBe(true);
  expect(f.store.current()).toBe(worker);
  await eventually("the node leaves maintenance mode", () => f.state.mode === "configured");
  expect(f.sequencer.calls).toEqual([]);
});

test("a diskless node refuses auto and staged (the reboot would lose the config); no-reboot applies", async () => {
  const f = fixture({}, { persists: () => false });
  f.store.save(worker3);
  for (const mode of [ApplyMode.AUTO, ApplyMode.STAGED]) {
    const err = await failure(f.client("os:admin").applyConfiguration({ data: enc(worker), mode }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toContain("this node is diskless");
    expect(err.rawMessage).toContain("--mode no-reboot");
  }
  expect(f.store.current()).toBe(worker3);
  expect(f.store.staged()).toBeUndefined();
  expect(f.sequencer.calls).toEqual([]);
  const dry = await f.client("os:admin").applyConfiguration({ data: enc(worker), dryRun: true });
  expect(dry.dryRun).toBe(true);
  const r = await f.client("os:admin").applyConfiguration({ data: enc(worker), mode: ApplyMode.NO_REBOOT });
  expect(r.modeDetails).toBe("Applied without a reboot");
  expect(f.store.current()).toBe(worker);
});

test("while an install runs, Reboot and every apply are refused (the applier says so)", async () => {
  const f = fixture({
    config: {
      installing: () => true,
      apply: async () => {
        throw new ConfigApplyError(
          "Refused",
          "an install is running: the node reboots into its disk when it is done",
        );
      },
    },
  });
  const err = await failure(f.client("os:admin").applyConfiguration({ data: enc(worker) }));
  expect(err.code).toBe(Code.FailedPrecondition);
  expect(err.rawMessage).toBe(
    "ApplyConfiguration: an install is running: the node reboots into its disk when it is done",
  );
});

test("a full STATE is ResourceExhausted saying so", async () => {
  const f = fixture({
    config: {
      installing: () => false,
      apply: async () => {
        throw new ConfigApplyError(
          "NoSpace",
          "cannot save the config: cannot write /system/state/config.yaml: no space left on device (ENOSPC)",
        );
      },
    },
  });
  const err = await failure(f.client("os:admin").applyConfiguration({ data: enc(worker) }));
  expect(err.code).toBe(Code.ResourceExhausted);
  expect(err.rawMessage).toContain(
    "cannot write /system/state/config.yaml: no space left on device (ENOSPC)",
  );
});

test("try: applied, then reverted after the timeout", async () => {
  const f = fixture();
  f.store.save(worker);
  const r = await f
    .client("os:admin")
    .applyConfiguration({ data: enc(worker2), mode: ApplyMode.TRY, tryTimeout: durationFromMs(30_000) });
  expect(r.mode).toBe(ApplyMode.TRY);
  expect(r.modeDetails).toContain("Applied for 30s");
  expect(f.store.current()).toBe(worker2);
  expect(f.hostnames).toEqual(["worker-2"]);
  await f.clock.advance(29_999);
  expect(f.store.current()).toBe(worker2);
  await f.clock.advance(1);
  await eventually("the trial is reverted", () => f.store.current() === worker);
  await eventually("the previous config is applied again", () => f.hostnames.length === 2);
  expect(f.hostnames).toEqual(["worker-2", "worker-1"]);
  expect(f.errors).toEqual([]);
});

test("try: a second apply confirms the trial (no revert), default timeout one minute", async () => {
  const f = fixture();
  f.store.save(worker);
  const admin = f.client("os:admin");
  await admin.applyConfiguration({ data: enc(worker2), mode: ApplyMode.TRY });
  expect(f.clock.nextDeadline()).toBe(DEFAULT_TRY_TIMEOUT_MS);
  await admin.applyConfiguration({ data: enc(worker2), mode: ApplyMode.NO_REBOOT });
  await f.clock.advance(DEFAULT_TRY_TIMEOUT_MS * 2);
  expect(f.store.current()).toBe(worker2);
  expect(f.hostnames).toEqual(["worker-2"]);
  expect(f.errors).toEqual([]);
});

test("try needs a config to come back to, and a positive timeout", async () => {
  const f = fixture();
  const admin = f.client("os:admin");
  const none = await failure(admin.applyConfiguration({ data: enc(worker), mode: ApplyMode.TRY }));
  expect(none.code).toBe(Code.FailedPrecondition);
  expect(f.store.current()).toBeUndefined();
  f.store.save(worker);
  const zero = await failure(
    admin.applyConfiguration({ data: enc(worker2), mode: ApplyMode.TRY, tryTimeout: durationFromMs(0) }),
  );
  expect(zero.code).toBe(Code.InvalidArgument);
  expect(zero.rawMessage).toContain("try_timeout must be positive");
});

test("only admins apply configs", async () => {
  const f = fixture();
  const err = await failure(f.client("os:operator").applyConfiguration({ data: enc(worker) }));
  expect(err.code).toBe(Code.PermissionDenied);
  expect(f.store.current()).toBeUndefined();
});

test("the maintenance apid's caller never sees a stored config, and is refused once a config is accepted (C1)", async () => {
  const f = fixture({}, { maintenance: true });
  // A node in maintenance mode whose stored config no longer validates still holds it (with secrets).
  f.store.save(worker);
  const unauthenticated = f.client("os:maintenance" as never);
  const dry = await unauthenticated.applyConfiguration({ data: enc(worker2), dryRun: true });
  expect(dry.diff.startsWith("--- current\n+++ new\n@@ -0,0 +1,")).toBe(true);
  expect(dry.diff.split("\n").filter((l) => l.startsWith("-") && !l.startsWith("---"))).toEqual([]);
  // An admin's apply takes the node out of maintenance mode: from then on the caller gets nothing.
  await f.client("os:admin").applyConfiguration({ data: enc(worker), mode: ApplyMode.NO_REBOOT });
  const late = await failure(unauthenticated.applyConfiguration({ data: enc(worker2), dryRun: true }));
  expect(late.code).toBe(Code.FailedPrecondition);
});
