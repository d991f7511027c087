import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { EtcdOperationError } from "../../etcd/etcd-errors.ts";
import { ResetError } from "../../lifecycle/reset.ts";
import { SlotChangeError } from "../../lifecycle/slot-change.ts";
import { WipeDiskError } from "../../lifecycle/wipe-disk.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import type { EtcdOperations } from "./etcd.ts";
import type { SlotChanges } from "./lifecycle.ts";

const calls: string[] = [];
let refuse: SlotChangeError | undefined;
const slots: SlotChanges = {
  upgrade: async (req) => {
    calls.push(`upgrade ${req.image} stage=${req.stage}`);
    if (refuse) throw refuse;
    return { slot: "B", version: "2.0.0" };
  },
  rollback: async () => {
    calls.push("rollback");
    if (refuse) throw refuse;
    return { slot: "A", version: "1.0.0" };
  },
  describe: () => ({
    bootedSlot: "A",
    otherSlotVersion: "2.0.0",
    lastUpgrade: "upgrade to 2.0.0 (slot B) committed",
  }),
};
let planned: unknown[] = [];
const f = makeFixture({
  slots,
  releaseVersion: "1.0.0",
  resets: (req) => {
    planned.push({ labels: req.systemLabelsToWipe, mode: req.wipeMode });
    if (req.wipeMode === "bad")
      throw new ResetError(
        "InvalidArgument",
        '--wipe-mode "bad": expected one of all, system-disk, user-disks',
      );
    return {
      wiping: ["STATE (/dev/vda6)"],
      run: { graceful: req.graceful, reboot: req.reboot, devices: [], wipe: async () => {} },
    };
  },
  wipeDisk: async (device) => {
    if (device === "/dev/vda") throw new WipeDiskError("FailedPrecondition", "/dev/vda is the system disk");
    return 2048;
  },
});
const none = makeFixture();
afterAll(() => {
  f.cleanup();
  none.cleanup();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e) => ConnectError.from(e),
  );

test("Upgrade and Rollback answer with the slot and version; Version reports the slots", async () => {
  const admin = f.client("os:admin");
  expect(await admin.upgrade({ image: "http://x/v2", stage: true })).toMatchObject({
    slot: "B",
    version: "2.0.0",
    ack: "slot B holds 2.0.0: it boots at the next reboot",
  });
  expect(await admin.rollback({})).toMatchObject({ slot: "A", version: "1.0.0" });
  expect(calls).toEqual(["upgrade http://x/v2 stage=true", "rollback"]);
  const v = await f.client("os:reader").version({});
  expect([v.version?.tag, v.bootedSlot, v.otherSlotVersion, v.lastUpgrade]).toEqual([
    "1.0.0",
    "A",
    "2.0.0",
    "upgrade to 2.0.0 (slot B) committed",
  ]);
});

test("refusals keep their code and reason; readers and operators may not upgrade; container mode has no slots", async () => {
  refuse = new SlotChangeError(
    "FailedPrecondition",
    "upgrade refused: this node did not boot from an installed disk",
  );
  const err = await failure(f.client("os:admin").upgrade({ image: "http://x" }));
  expect([err?.code, err?.rawMessage]).toEqual([
    Code.FailedPrecondition,
    "upgrade refused: this node did not boot from an installed disk",
  ]);
  refuse = undefined;
  for (const role of ["os:reader", "os:operator"] as const)
    expect((await failure(f.client(role).upgrade({ image: "http://x" })))?.code).toBe(Code.PermissionDenied);
  const noSlots = await failure(none.client("os:admin").rollback({}));
  expect(noSlots?.code).toBe(Code.FailedPrecondition);
  expect(noSlots?.rawMessage).toContain("this node has no boot slots");
  expect((await none.client("os:reader").version({})).bootedSlot).toBe("");
});

test("Reset plans the wipe, then starts the reset sequence; bad input changes nothing; WipeDisk answers the bytes", async () => {
  planned = [];
  const admin = f.client("os:admin");
  expect(
    (await admin.reset({ graceful: false, reboot: true, systemLabelsToWipe: ["STATE"], wipeMode: "all" }))
      .wiping,
  ).toEqual(["STATE (/dev/vda6)"]);
  expect(f.sequencer.calls).toContain("reset graceful=false reboot=true");
  const calls = f.sequencer.calls.length;
  const bad = await failure(admin.reset({ wipeMode: "bad" }));
  expect([bad?.code, bad?.rawMessage]).toEqual([
    Code.InvalidArgument,
    '--wipe-mode "bad": expected one of all, system-disk, user-disks',
  ]);
  expect(f.sequencer.calls).toHaveLength(calls);
  f.sequencer.locked = "upgrade";
  expect((await failure(admin.reset({})))?.code).toBe(Code.FailedPrecondition);
  f.sequencer.locked = undefined;
  expect((await failure(f.client("os:operator").reset({})))?.code).toBe(Code.PermissionDenied);
  expect((await admin.wipeDisk({ device: "/dev/vdb" })).bytesZeroed).toBe(2048n);
  const system = await failure(admin.wipeDisk({ device: "/dev/vda" }));
  expect([system?.code, system?.rawMessage]).toEqual([
    Code.FailedPrecondition,
    "/dev/vda is the system disk",
  ]);
  expect((await failure(none.client("os:admin").reset({})))?.rawMessage).toContain(
    "container mode has no disk to wipe",
  );
  expect((await failure(f.client("os:reader").wipeDisk({ device: "/dev/vdb" })))?.code).toBe(
    Code.PermissionDenied,
  );
});

test("a control plane's etcd: an upgrade waits for healthy members, a graceful reset leaves etcd first", async () => {
  const etcdCalls: string[] = [];
  let healthy = false;
  const etcd = {
    checkBeforeReboot: async () => {
      etcdCalls.push("check");
      if (!healthy)
        throw new EtcdOperationError(
          "FailedPrecondition",
          "etcd member cp-2 is not healthy, and this node's member goes away while it reboots: every member must be healthy first (--force to upgrade anyway)",
        );
    },
    leaveBeforeReset: async (force) => {
      etcdCalls.push(`leave force=${force}`);
      if (!healthy && !force)
        throw new EtcdOperationError(
          "FailedPrecondition",
          "cp-1 is the cluster's last voting member (--force resets anyway, --graceful=false resets without leaving etcd)",
        );
    },
  } as Partial<EtcdOperations> as EtcdOperations;
  const cp = makeFixture({
    slots,
    etcd: () => etcd,
    resets: () => ({
      wiping: ["EPHEMERAL (/dev/vda7)"],
      run: { graceful: true, reboot: true, devices: [], wipe: async () => {} },
    }),
  });
  try {
    const admin = cp.client("os:admin");
    calls.length = 0;
    const refused = await failure(admin.upgrade({ image: "http://x/2.0.0" }));
    expect([refused?.code, refused?.rawMessage]).toEqual([
      Code.FailedPrecondition,
      "upgrade refused: etcd member cp-2 is not healthy, and this node's member goes away while it reboots: every member must be healthy first (--force to upgrade anyway)",
    ]);
    expect(calls).toEqual([]); // nothing written
    await admin.upgrade({ image: "http://x/2.0.0", force: true });
    await admin.upgrade({ image: "http://x/2.0.0", stage: true }); // staged: no reboot now, no check
    expect(etcdCalls).toEqual(["check"]);

    const reset = await failure(admin.reset({ graceful: true, reboot: true }));
    expect(reset?.rawMessage).toBe(
      "reset refused: leaving etcd first: cp-1 is the cluster's last voting member (--force resets anyway, --graceful=false resets without leaving etcd)",
    );
    expect(cp.sequencer.calls.filter((c) => c.startsWith("reset"))).toEqual([]);
    await admin.reset({ graceful: false, reboot: true }); // not graceful: etcd is not asked
    await admin.reset({ graceful: true, reboot: true, force: true });
    expect(etcdCalls).toEqual(["check", "leave force=false", "leave force=true"]);
    healthy = true;
    await admin.upgrade({ image: "http://x/2.0.0" });
    await admin.reset({ graceful: true, reboot: true });
    expect(etcdCalls).toEqual([
      "check",
      "leave force=false",
      "leave force=true",
      "check",
      "leave force=false",
    ]);
    expect(cp.sequencer.calls.filter((c) => c.startsWith("reset"))).toHaveLength(3);
  } finally {
    cp.cleanup();
  }
});
