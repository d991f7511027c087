import { describe, expect, test } from "bun:test";
import {
  checkRule,
  controlplane,
  errorsOf,
  modified,
  pkiBase64,
  type RuleCase,
  worker,
} from "../test/fixtures.ts";
import { crossFieldRules } from "./cross-field-rules.ts";

const cases: RuleCase[] = [
  // CA keys: present on control planes, absent on workers (machine.ca and cluster.ca)
  {
    name: "machine.ca.key required on a control plane",
    bad: { "machine.ca.key": undefined },
    good: {},
    path: "machine.ca.key",
    code: "required",
  },
  {
    name: "machine.ca.key '' counts as absent on a control plane",
    bad: { "machine.ca.key": "" },
    good: {},
    path: "machine.ca.key",
    code: "required",
  },
  {
    name: "machine.ca.key not on a worker",
    base: "worker",
    bad: { "machine.ca.key": pkiBase64("os-ca.key") },
    good: { "machine.ca.key": undefined },
    path: "machine.ca.key",
    code: "controlplane_only",
  },
  {
    name: "cluster.ca.key required on a control plane",
    bad: { "cluster.ca.key": undefined },
    good: {},
    path: "cluster.ca.key",
    code: "required",
  },
  {
    name: "cluster.ca.key not on a worker",
    base: "worker",
    bad: { "cluster.ca.key": pkiBase64("kubernetes-ca.key") },
    good: { "cluster.ca.key": "" },
    path: "cluster.ca.key",
    code: "controlplane_only",
  },
  {
    name: "machine.ca required everywhere",
    base: "worker",
    bad: { "machine.ca": undefined },
    good: {},
    path: "machine.ca.crt",
    code: "required",
  },
  // etcd, aggregatorCA key, serviceAccount key: control planes only
  {
    name: "etcd only on control planes",
    base: "worker",
    bad: { "cluster.etcd": { ca: { crt: pkiBase64("etcd-ca.crt") } } },
    good: {},
    path: "cluster.etcd",
    code: "controlplane_only",
  },
  {
    name: "etcd CA key required on control planes",
    bad: { "cluster.etcd": undefined },
    good: {},
    path: "cluster.etcd.ca.key",
    code: "required",
  },
  {
    name: "aggregatorCA.key only on control planes",
    base: "worker",
    bad: {
      "cluster.aggregatorCA": { crt: pkiBase64("aggregator-ca.crt"), key: pkiBase64("aggregator-ca.key") },
    },
    good: { "cluster.aggregatorCA": { crt: pkiBase64("aggregator-ca.crt") } },
    path: "cluster.aggregatorCA.key",
    code: "controlplane_only",
  },
  {
    name: "serviceAccount.key only on control planes",
    base: "worker",
    bad: { "cluster.serviceAccount": { key: pkiBase64("service-account.key") } },
    good: {},
    path: "cluster.serviceAccount.key",
    code: "controlplane_only",
  },
  {
    name: "serviceAccount.key required on control planes",
    bad: { "cluster.serviceAccount": undefined },
    good: {},
    path: "cluster.serviceAccount.key",
    code: "required",
  },
  // endpoint
  {
    name: "controlPlane.endpoint is https",
    bad: { "cluster.controlPlane.endpoint": "http://10.0.0.10:6443" },
    good: { "cluster.controlPlane.endpoint": "https://10.0.0.10:6443" },
    path: "cluster.controlPlane.endpoint",
    code: "endpoint_not_https",
  },
  // a worker needs endpoint, cluster token, machine token
  {
    name: "worker needs controlPlane.endpoint",
    base: "worker",
    bad: { "cluster.controlPlane": undefined },
    good: {},
    path: "cluster.controlPlane.endpoint",
    code: "required",
  },
  {
    name: "worker needs cluster.token",
    base: "worker",
    bad: { "cluster.token": undefined },
    good: {},
    path: "cluster.token",
    code: "required",
  },
  {
    name: "worker needs machine.token",
    base: "worker",
    bad: { "machine.token": undefined },
    good: {},
    path: "machine.token",
    code: "required",
  },
  // subnets
  {
    name: "pod and service subnets must not overlap (IPv4)",
    bad: { "cluster.network.serviceSubnets": ["10.244.128.0/20"] },
    good: { "cluster.network.serviceSubnets": ["10.96.0.0/12"] },
    path: "cluster.network.serviceSubnets[0]",
    code: "subnet_overlap",
  },
  {
    name: "pod and service subnets must not overlap (IPv6)",
    bad: { "cluster.network.serviceSubnets": ["10.96.0.0/12", "fd00:244::/112"] },
    good: { "cluster.network.serviceSubnets": ["10.96.0.0/12", "fd00:96::/112"] },
    path: "cluster.network.serviceSubnets[1]",
    code: "subnet_overlap",
  },
  {
    name: "at most one subnet per family",
    bad: { "cluster.network.podSubnets": ["10.244.0.0/16", "10.245.0.0/16"] },
    good: { "cluster.network.podSubnets": ["10.244.0.0/16", "fd00:244::/56"] },
    path: "cluster.network.podSubnets[1]",
    code: "too_many_subnets",
  },
  // install disk
  {
    name: "install.disk required in metal mode",
    mode: "metal",
    bad: { "machine.install.disk": undefined },
    good: { "machine.install": undefined },
    path: "machine.install.disk",
    code: "install_disk_required",
  },
  // interfaces
  {
    name: "duplicate interface names",
    bad: {
      "machine.network.interfaces": [
        { interface: "eth0", dhcp: true },
        { interface: "eth0", mtu: 9000 },
      ],
    },
    good: {
      "machine.network.interfaces": [
        { interface: "eth0", dhcp: true },
        { interface: "eth1", mtu: 9000 },
      ],
    },
    path: "machine.network.interfaces[1].interface",
    code: "duplicate_interface",
  },
  {
    name: "duplicate VLAN IDs",
    bad: {
      "machine.network.interfaces": [
        {
          interface: "eth0",
          vlans: [
            { vlanId: 10, dhcp: true },
            { vlanId: 10, dhcp: true },
          ],
        },
      ],
    },
    good: {
      "machine.network.interfaces": [
        {
          interface: "eth0",
          vlans: [
            { vlanId: 10, dhcp: true },
            { vlanId: 11, dhcp: true },
          ],
        },
      ],
    },
    path: "machine.network.interfaces[0].vlans[1].vlanId",
    code: "duplicate_vlan",
  },
  {
    name: "route gateway family matches its network",
    bad: {
      "machine.network.interfaces": [
        {
          interface: "eth0",
          addresses: ["10.0.0.10/24"],
          routes: [{ network: "::/0", gateway: "10.0.0.1" }],
        },
      ],
    },
    good: {
      "machine.network.interfaces": [
        {
          interface: "eth0",
          addresses: ["10.0.0.10/24"],
          routes: [{ network: "0.0.0.0/0", gateway: "10.0.0.1" }],
        },
      ],
    },
    path: "machine.network.interfaces[0].routes[0].gateway",
    code: "route_family_mismatch",
  },
  // CNI
  {
    name: "custom CNI needs urls",
    bad: { "cluster.network.cni": { name: "custom" } },
    good: { "cluster.network.cni": { name: "custom", urls: ["https://example.com/cni.yaml"] } },
    path: "cluster.network.cni.urls",
    code: "required",
  },
  {
    name: "CNI urls only with custom",
    bad: { "cluster.network.cni": { name: "flannel", urls: ["https://example.com/cni.yaml"] } },
    good: { "cluster.network.cni": { name: "flannel" } },
    path: "cluster.network.cni.urls",
    code: "cni_urls_not_custom",
  },
  // certificates
  {
    name: "CA key must match its certificate",
    bad: { "cluster.ca.key": pkiBase64("unrelated.key") },
    good: { "cluster.ca.key": pkiBase64("kubernetes-ca.key") },
    path: "cluster.ca.key",
    code: "key_mismatch",
  },
  {
    name: "CA certificates must be CAs",
    bad: { "cluster.aggregatorCA": { crt: pkiBase64("leaf.crt"), key: pkiBase64("leaf.key") } },
    good: {},
    path: "cluster.aggregatorCA.crt",
    code: "not_a_ca",
  },
  // kernel args
  {
    name: "extraKernelArgs must not undo hardening",
    bad: { "machine.install.extraKernelArgs": ["pti=off"] },
    good: { "machine.install.extraKernelArgs": ["pti=on"] },
    path: "machine.install.extraKernelArgs[0]",
    code: "kernel_arg_hardening",
  },
  {
    name: "machine.files only under /var/ or /etc/cri/conf.d/ (the root is read-only)",
    bad: { "machine.files": [{ path: "/etc/motd", content: "x", permissions: 0o644, op: "create" }] },
    good: {
      "machine.files": [
        { path: "/var/lib/motd", content: "x", permissions: 0o644, op: "create" },
        { path: "/etc/cri/conf.d/20-mirror.toml", content: "x", permissions: 0o644, op: "create" },
      ],
    },
    path: "machine.files[0].path",
    code: "file_path_not_writable",
  },
  {
    name: "machine.files cannot target the writable directory itself",
    bad: { "machine.files": [{ path: "/var/", content: "x", permissions: 0o644, op: "create" }] },
    good: { "machine.files": [{ path: "/var/x", content: "x", permissions: 0o644, op: "create" }] },
    path: "machine.files[0].path",
    code: "file_path_not_writable",
  },
];

test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, rule) => {
  const { bad, good } = checkRule(rule);
  expect(bad).toContainEqual({ path: rule.path, code: rule.code });
  expect(good).toEqual([]);
});

describe("modes", () => {
  test("install without a disk is fine in qemu and container modes", () => {
    const config = modified(controlplane(), { "machine.install.disk": undefined });
    expect(errorsOf([config], "qemu")).toEqual([]);
    expect(errorsOf([config], "container")).toEqual([]);
    expect(errorsOf([config], "metal")).toEqual([
      { path: "machine.install.disk", code: "install_disk_required" },
    ]);
  });
});

test("rules run on raw values and survive wrong types without throwing", () => {
  const raw = {
    machine: { type: "worker", network: { interfaces: "eth0" }, install: [] },
    cluster: { network: { podSubnets: [42] } },
  };
  const issues = crossFieldRules(raw, { mode: "metal", document: 3 });
  expect(issues.every((i) => i.document === 3)).toBe(true);
  expect(issues.map((i) => i.code)).toContain("required");
  expect(crossFieldRules("nonsense", { mode: "metal", document: 0 })).toEqual([]);
});

test("a worker with every control-plane secret reports each one", () => {
  const cp = controlplane();
  const config = modified(cp, { "machine.type": "worker" });
  const codes = errorsOf([config])
    .filter((e) => e.code === "controlplane_only")
    .map((e) => e.path);
  expect(codes.sort()).toEqual([
    "cluster.aggregatorCA.key",
    "cluster.ca.key",
    "cluster.etcd",
    "cluster.serviceAccount.key",
    "machine.ca.key",
  ]);
  expect(errorsOf([worker()])).toEqual([]);
});
