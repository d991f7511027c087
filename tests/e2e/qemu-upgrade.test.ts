// A/B upgrades, rollback and fallback (issue 12) on a real node: a one-node cluster booted from its
// own disk (SeaBIOS, GRUB, the boot state on META) under QEMU (TCG). ONE node serves the whole file,
// its tests steps of one chain (src/steps.ts):
// - upgrade to a newer build: the node writes slot B, boots it once, commits it; version says so;
// - upgrade again: slot A gets the next build;
// - rollback: the previous slot's system again, committed;
// - an upgrade to a build whose init exits at start (a STAND-IN binary, not Bronze): the kernel panics,
//   panic=10 restarts it, GRUB boots the committed slot; version and events say it rolled back, and why;
// - an upgrade to a build that hangs (a STAND-IN): softdog resets the node after its margin, same end;
// - refusals: rollback to a slot that never booted healthy; upgrade from a URL that is not one;
//   (power cuts are qemu-power-cut.test.ts, on a node of their own, run after this file in the same e2e lane: it reuses the builds)
// - wipe disk of the extra disk (the system disk refused);
// - reset of EPHEMERAL only (the node comes back with its config), then a reset of everything without
//   grace: the node comes back in maintenance mode, and the old config's keys are nowhere on its disk.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { eventually, waitFor } from "@bronze/testing";
import { parse } from "yaml";
import { Steps } from "./src/steps.ts";
import { fileContains, UpgradeCluster } from "./src/upgrade-cluster.ts";

const cluster = new UpgradeCluster("e2e-upgrade");
const steps = new Steps(test);
const CREATE = "a node booted from its disk runs slot A, the other slot empty";
const UPGRADE = "upgrade --wait writes slot B, boots it once and commits it";
const AGAIN = "upgrade again writes slot A";
const ROLLBACK = "rollback --wait boots the previous slot's system again";
const EXITS = "an upgrade whose init exits at start falls back by itself, and says why";
const HANGS = "an upgrade that hangs is reset by the watchdog and falls back";

/** The releases the upgrades go to, built while the node boots (the installed one is built first). */
let later = new Map<string, Promise<void>>();
const built = (name: "newer" | "exits" | "hangs") =>
  later.get(name) ?? Promise.reject(new Error(`${name} not built`));

beforeAll(() => {
  cluster.build(["installed"], (line) => console.log(line));
  later = cluster.buildInBackground(["newer", "exits", "hangs"], (line) => console.log(line));
}, 1_200_000);

afterAll(async () => {
  await cluster.destroy();
});

function explain(what: string, r: { code: number; stdout: string; stderr: string }): string {
  return `${what} exited ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}${cluster.serialTail()}`;
}

steps.test(
  CREATE,
  [],
  async () => {
    const create = await cluster.create();
    if (create.code !== 0) throw new Error(explain("cluster create", create));
    expect(await cluster.version()).toEqual({ tag: "0.1.0-e2e", slot: "A", other: "", last: "" });
    // GRUB booted slot A with its own arguments, and machined disarmed the watchdog /init armed
    const serial = await Bun.file(cluster.serialLog).text();
    expect(serial).toMatch(/Kernel command line: BOOT_IMAGE=\/vmlinuz .* bronze\.slot=a panic=10/);
    expect(serial).toContain("softdog:              soft_reboot_cmd=<not set> soft_active_on_boot=1");
    expect(serial).toContain("lifecycle: watchdog disarmed (not a trial boot)");
  },
  1_000_000,
);

steps.test(
  UPGRADE,
  [CREATE],
  async () => {
    await built("newer");
    const r = await cluster.node(["upgrade", "--image", cluster.assetsUrl("newer"), "--wait"]);
    if (r.code !== 0) throw new Error(explain("upgrade", r));
    expect(r.stderr).toContain("slot B holds 0.2.0-e2e: rebooting into it");
    expect(r.stdout).toMatch(/running 0\.2\.0-e2e from slot B \(committed, /);
    expect(await cluster.version()).toEqual({
      tag: "0.2.0-e2e",
      slot: "B",
      other: "0.1.0-e2e",
      last: "upgrade to 0.2.0-e2e (slot B) committed",
    });
    // every asset was fetched (and checked against the manifest) before the slot was written
    for (const f of ["manifest.json", "vmlinuz", "initramfs.zst", "cmdline"])
      expect(cluster.requests).toContain(`/newer/${f}`);
    const serial = await Bun.file(cluster.serialLog).text();
    expect(serial).toMatch(/bronze\.slot=b panic=10 bronze\.trial=\d+/);
    expect(serial).toContain(
      "lifecycle: trial boot of slot B: feeding the watchdog until the slot is committed",
    );
  },
  900_000,
);

steps.test(
  AGAIN,
  [UPGRADE],
  async () => {
    const r = await cluster.node(["upgrade", "--image", cluster.assetsUrl("installed"), "--wait"]);
    if (r.code !== 0) throw new Error(explain("upgrade", r));
    expect(await cluster.version()).toEqual({
      tag: "0.1.0-e2e",
      slot: "A",
      other: "0.2.0-e2e",
      last: "upgrade to 0.1.0-e2e (slot A) committed",
    });
  },
  900_000,
);

steps.test(
  ROLLBACK,
  [AGAIN],
  async () => {
    const r = await cluster.node(["rollback", "--wait"]);
    if (r.code !== 0) throw new Error(explain("rollback", r));
    expect(r.stderr).toContain("rolling back to 0.2.0-e2e (slot B): rebooting into it");
    expect(await cluster.version()).toEqual({
      tag: "0.2.0-e2e",
      slot: "B",
      other: "0.1.0-e2e",
      last: "rollback to 0.2.0-e2e (slot B) committed",
    });
  },
  900_000,
);

steps.test(
  EXITS,
  [ROLLBACK],
  async () => {
    await built("exits");
    const r = await cluster.node(["upgrade", "--image", cluster.assetsUrl("exits"), "--wait"]);
    expect(r.code, explain("upgrade", r)).toBe(1);
    expect(r.stderr).toContain(
      "upgrade to 0.3.0-exits-stand-in (slot A) rolled back: slot A's system never reached machined",
    );
    expect(r.stderr).toContain("(back on 0.2.0-e2e, slot B, after");
    const v = await cluster.version();
    expect([v.tag, v.slot, v.other]).toEqual(["0.2.0-e2e", "B", "0.3.0-exits-stand-in"]);
    const serial = await Bun.file(cluster.serialLog).text();
    expect(serial).toContain("exit-at-start stand-in: exiting at once");
    expect(serial).toContain("Kernel panic - not syncing: Attempted to kill init!");
    const events = await cluster.node(["events"], 120_000);
    expect(events.stdout).toContain("upgrade to 0.3.0-exits-stand-in (slot A) rolled back");
  },
  900_000,
);

steps.test(
  HANGS,
  [EXITS],
  async () => {
    await built("hangs");
    const r = await cluster.node(["upgrade", "--image", cluster.assetsUrl("hangs"), "--wait"]);
    expect(r.code, explain("upgrade", r)).toBe(1);
    expect(r.stderr).toContain("upgrade to 0.3.0-hangs-stand-in (slot A) rolled back");
    const v = await cluster.version();
    expect([v.tag, v.slot]).toEqual(["0.2.0-e2e", "B"]);
    const serial = await Bun.file(cluster.serialLog).text();
    expect(serial).toContain("hang stand-in: hanging for ever");
    expect(serial).toContain("softdog: Initiating system reboot");
  },
  900_000,
);

const REFUSALS =
  "refusals: rollback to a slot that never booted healthy, an upgrade from something that is not a URL";
const WIPE = "wipe disk erases the extra disk and refuses the system disk";
const RESET_EPHEMERAL = "reset of EPHEMERAL reboots with /var fresh and the config kept";

steps.test(
  REFUSALS,
  [HANGS],
  async () => {
    const rollback = await cluster.node(["rollback"], 120_000);
    expect(rollback.code).not.toBe(0);
    expect(rollback.stderr).toContain(
      "rollback refused: slot A holds no system that ever booted healthy (0.3.0-hangs-stand-in never committed)",
    );
    const bad = await cluster.node(["upgrade", "--image", "ftp://example/x"], 120_000);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--image ftp://example/x must be an http(s) URL");
    expect((await cluster.version()).tag).toBe("0.2.0-e2e");
  },
  300_000,
);

/** How many times machined started, from the serial log. */
async function machinedStarts(): Promise<number> {
  return ((await Bun.file(cluster.serialLog).text()).match(/machined: starting \(pid 1/g) ?? []).length;
}

steps.test(
  WIPE,
  [CREATE],
  async () => {
    const extra = join(cluster.nodeDir, "extra-disk-1.raw");
    const size = 64 * 1024 * 1024;
    const pattern = Buffer.alloc(1024 * 1024, "bronze-test-data ");
    const fd = openSync(extra, "r+");
    try {
      writeSync(fd, pattern, 0, pattern.length, 0);
      writeSync(fd, pattern, 0, pattern.length, size - pattern.length);
    } finally {
      closeSync(fd);
    }
    const wiped = await cluster.node(["wipe", "disk", "/dev/vdb"], 180_000);
    if (wiped.code !== 0) throw new Error(explain("wipe disk", wiped));
    expect(wiped.stdout).toContain("/dev/vdb wiped (2097152 bytes zeroed)");
    const head = Buffer.alloc(1024 * 1024);
    const tail = Buffer.alloc(1024 * 1024);
    const check = openSync(extra, "r");
    try {
      readSync(check, head, 0, head.length, 0);
      readSync(check, tail, 0, tail.length, size - tail.length);
    } finally {
      closeSync(check);
    }
    expect(head.every((b) => b === 0) && tail.every((b) => b === 0)).toBe(true);
    const system = await cluster.node(["wipe", "disk", "/dev/vda"], 120_000);
    expect(system.code).toBe(1);
    expect(system.stderr).toContain("/dev/vda is the system disk (the boot slots, STATE and EPHEMERAL)");
  },
  300_000,
);

steps.test(
  RESET_EPHEMERAL,
  [REFUSALS, WIPE],
  async () => {
    const was = await cluster.version();
    const before = await machinedStarts();
    // a graceful reset of a control plane leaves etcd first: refused on the cluster's last member
    // (asked once its etcd answers again after the fallback boots above)
    await eventually(
      "the control plane's etcd answers",
      async () => {
        const status = await cluster.node(["etcd", "status", "-o", "json"], 60_000);
        const [s] = status.code === 0 ? (JSON.parse(status.stdout) as { memberId?: string }[]) : [];
        return s?.memberId !== undefined && s.memberId !== "0";
      },
      300_000,
      3000,
    );
    const refused = await cluster.node(
      ["reset", "--system-labels-to-wipe", "EPHEMERAL", "--reboot"],
      120_000,
    );
    expect(refused.code, explain("reset without --force", refused)).toBe(1);
    expect(refused.stderr).toContain("reset refused: leaving etcd first:");
    expect(refused.stderr).toContain("is the cluster's last voting member (--force resets anyway");
    expect(await machinedStarts()).toBe(before);
    const r = await cluster.node(
      ["reset", "--system-labels-to-wipe", "EPHEMERAL", "--reboot", "--force"],
      120_000,
    );
    if (r.code !== 0) throw new Error(explain("reset", r));
    expect(r.stderr).toContain(
      "resetting: wiping EPHEMERAL (/dev/vda7), no user disks (the machine config names none), then rebooting",
    );
    await eventually(
      "machined starts again after the reset",
      async () => (await machinedStarts()) > before,
      600_000,
      2000,
    );
    // back with its config (mTLS answers), its slots untouched
    const v = await waitFor(() => cluster.version().catch(() => undefined), {
      what: "the node answers over mTLS after the reset",
      timeoutMs: 600_000,
      intervalMs: 3000,
    });
    expect([v.tag, v.slot]).toEqual([was.tag, was.slot]);
    const serial = await Bun.file(cluster.serialLog).text();
    expect(serial).toMatch(/reset: EPHEMERAL \(\/dev\/vda7\): \d+ MiB zeroed, new filesystem/);
    expect(serial).not.toMatch(/reset: STATE/);
  },
  900_000,
);

steps.test(
  "reset without grace of everything: maintenance mode, and the old config's keys are gone from the disk",
  [RESET_EPHEMERAL],
  async () => {
    // a secret of the node's config, as STATE holds it (the OS CA's key): on the disk before the reset
    // (past the base64 of the PEM header, which every EC key shares)
    const secret = Buffer.from(String(parse(cluster.config()).machine.ca.key).slice(100, 164));
    const disk = join(cluster.nodeDir, "disk.raw");
    expect(await fileContains(disk, secret)).toBe(true);
    const before = await machinedStarts();
    const r = await cluster.node(["reset", "--graceful=false", "--reboot"], 120_000);
    if (r.code !== 0) throw new Error(explain("reset", r));
    expect(r.stderr).toContain("wiping STATE (/dev/vda6), EPHEMERAL (/dev/vda7)");
    await eventually(
      "the node comes back in maintenance mode",
      async () =>
        (await machinedStarts()) > before &&
        (await Bun.file(cluster.serialLog).text()).includes("maintenance mode: the node was reset ("),
      600_000,
      2000,
    );
    expect(await fileContains(disk, secret)).toBe(false);
    // the kernel arguments still name the config URL: the reset marker kept the node from using it
    const serial = await Bun.file(cluster.serialLog).text();
    expect(serial.slice(serial.lastIndexOf("machined: starting"))).not.toContain("config: downloading");
  },
  900_000,
);
