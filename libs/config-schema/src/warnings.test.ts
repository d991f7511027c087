import { expect, test } from "bun:test";
import { controlplane, issuesOf, modified, warningsOf, worker } from "../test/fixtures.ts";
import type { Mode } from "./types.ts";

const cases: [string, () => Record<string, unknown>, () => Record<string, unknown>, string, string, Mode?][] =
  [
    [
      "debug: true",
      () => modified(controlplane(), { debug: true }),
      () => modified(controlplane(), { debug: false }),
      "debug",
      "debug_enabled",
    ],
    [
      "install.wipe: true",
      () => modified(controlplane(), { "machine.install.wipe": true }),
      () => controlplane(),
      "machine.install.wipe",
      "install_wipe",
    ],
    [
      "persist is deprecated",
      () => modified(controlplane(), { persist: true }),
      () => controlplane(),
      "persist",
      "deprecated_field",
    ],
    [
      "install.bootloader is deprecated",
      () => modified(controlplane(), { "machine.install.bootloader": true }),
      () => controlplane(),
      "machine.install.bootloader",
      "deprecated_field",
    ],
    [
      "allowSchedulingOnControlPlanes on a worker",
      () => modified(worker(), { "cluster.allowSchedulingOnControlPlanes": true }),
      () => modified(controlplane(), { "cluster.allowSchedulingOnControlPlanes": true }),
      "cluster.allowSchedulingOnControlPlanes",
      "ignored_on_worker",
    ],
    [
      "apiServer on a worker",
      () => modified(worker(), { "cluster.apiServer": { certSANs: ["a.example"] } }),
      () => worker(),
      "cluster.apiServer",
      "ignored_on_worker",
    ],
    [
      "dhcp with static addresses",
      () =>
        modified(worker(), {
          "machine.network.interfaces": [{ interface: "eth0", dhcp: true, addresses: ["10.0.0.5/24"] }],
        }),
      () => worker(),
      "machine.network.interfaces[0].addresses",
      "dhcp_with_static",
    ],
    [
      "world-writable files",
      () =>
        modified(worker(), {
          "machine.files": [{ content: "", permissions: 0o666, path: "/var/x", op: "create" }],
        }),
      () =>
        modified(worker(), {
          "machine.files": [{ content: "", permissions: 0o664, path: "/var/x", op: "create" }],
        }),
      "machine.files[0].permissions",
      "world_writable",
    ],
    [
      "untagged images",
      () => modified(worker(), { "machine.kubelet.image": "ghcr.io/siderolabs/kubelet" }),
      () => worker(),
      "machine.kubelet.image",
      "image_untagged",
    ],
    [
      ":latest images",
      () => modified(worker(), { "machine.kubelet.image": "ghcr.io/siderolabs/kubelet:latest" }),
      () => worker(),
      "machine.kubelet.image",
      "image_untagged",
    ],
    [
      "install in container mode",
      () => worker(),
      () => modified(worker(), { "machine.install": undefined }),
      "machine.install",
      "ignored_in_mode",
      "container",
    ],
  ];

test.each(cases)("%s", (_name, bad, good, path, code, mode = "metal") => {
  expect(warningsOf([bad()], mode)).toContainEqual({ path, code });
  expect(warningsOf([good()], mode)).toEqual([]);
  // warnings are not errors...
  expect(issuesOf([bad()], mode).ok).toBe(true);
});

test("strict turns every warning into an error", () => {
  const config = modified(controlplane(), { debug: true, "machine.install.wipe": true });
  const lax = issuesOf([config], "metal", false);
  expect(lax.ok).toBe(true);
  expect(lax.warnings.map((w) => w.code)).toEqual(["debug_enabled", "install_wipe"]);
  expect(lax.config?.debug).toBe(true);
  const strict = issuesOf([config], "metal", true);
  expect(strict.ok).toBe(false);
  expect(strict.config).toBeUndefined();
  expect(strict.warnings).toEqual([]);
  expect(strict.errors.map((e) => [e.code, e.severity])).toEqual([
    ["debug_enabled", "error"],
    ["install_wipe", "error"],
  ]);
});
