import { expect, test } from "bun:test";
import { checkRule, type RuleCase } from "../../test/fixtures.ts";

const cases: RuleCase[] = [
  {
    name: "id is base64",
    bad: { "cluster.id": "not base64!" },
    good: { "cluster.id": Buffer.alloc(32, 7).toString("base64") },
    path: "cluster.id",
    code: "invalid_base64",
  },
  {
    name: "secret is at least 32 bytes",
    bad: { "cluster.secret": Buffer.alloc(8).toString("base64") },
    good: { "cluster.secret": Buffer.alloc(48, 1).toString("base64") },
    path: "cluster.secret",
    code: "invalid_base64",
  },
  {
    name: "clusterName form",
    bad: { "cluster.clusterName": "my cluster" },
    good: { "cluster.clusterName": "prod.eu-1" },
    path: "cluster.clusterName",
    code: "invalid_format",
  },
  {
    name: "controlPlane.endpoint is a URL",
    bad: { "cluster.controlPlane.endpoint": "10.0.0.10:6443" },
    good: { "cluster.controlPlane.endpoint": "https://cp.bronze.example:6443" },
    path: "cluster.controlPlane.endpoint",
    code: "invalid_url",
  },
  {
    name: "controlPlane needs an endpoint",
    bad: { "cluster.controlPlane": {} },
    good: {},
    path: "cluster.controlPlane.endpoint",
    code: "required",
  },
  {
    name: "dnsDomain is a DNS name",
    bad: { "cluster.network.dnsDomain": "cluster..local" },
    good: { "cluster.network.dnsDomain": "k8s.internal" },
    path: "cluster.network.dnsDomain",
    code: "invalid_hostname",
  },
  {
    name: "podSubnets are network CIDRs",
    bad: { "cluster.network.podSubnets": ["10.244.0.1/16"] },
    good: { "cluster.network.podSubnets": ["10.244.0.0/16"] },
    path: "cluster.network.podSubnets[0]",
    code: "invalid_cidr",
  },
  {
    name: "serviceSubnets are network CIDRs (v6)",
    bad: { "cluster.network.serviceSubnets": ["10.96.0.0/12", "fd00:96::1/112"] },
    good: { "cluster.network.serviceSubnets": ["10.96.0.0/12", "fd00:96::/112"] },
    path: "cluster.network.serviceSubnets[1]",
    code: "invalid_cidr",
  },
  {
    name: "cni name",
    bad: { "cluster.network.cni.name": "calico" },
    good: { "cluster.network.cni.name": "none" },
    path: "cluster.network.cni.name",
    code: "invalid_value",
  },
  {
    name: "cni urls are URLs",
    bad: { "cluster.network.cni": { name: "custom", urls: ["ftp://x/cni.yaml"] } },
    good: { "cluster.network.cni": { name: "custom", urls: ["https://example.com/cni.yaml"] } },
    path: "cluster.network.cni.urls[0]",
    code: "invalid_url",
  },
  {
    name: "token is a bootstrap token",
    bad: { "cluster.token": "abcdef.0123456789ABCDEF" },
    good: { "cluster.token": "abcdef.0123456789abcdef" },
    path: "cluster.token",
    code: "invalid_token",
  },
  {
    name: "secretboxEncryptionSecret is 32 bytes",
    bad: { "cluster.secretboxEncryptionSecret": Buffer.alloc(31).toString("base64") },
    good: { "cluster.secretboxEncryptionSecret": Buffer.alloc(32, 9).toString("base64") },
    path: "cluster.secretboxEncryptionSecret",
    code: "invalid_base64",
  },
  {
    name: "ca.crt is a CERTIFICATE",
    bad: { "cluster.ca.crt": "" },
    good: {},
    path: "cluster.ca.crt",
    code: "invalid_pem",
  },
  {
    name: "aggregatorCA.key is a private key",
    bad: {
      "cluster.aggregatorCA.key": Buffer.from(
        "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n",
      ).toString("base64"),
    },
    good: {},
    path: "cluster.aggregatorCA.key",
    code: "invalid_pem",
  },
  {
    name: "serviceAccount has only a key",
    bad: { "cluster.serviceAccount.crt": "x" },
    good: {},
    path: "cluster.serviceAccount.crt",
    code: "unknown_field",
  },
  {
    name: "etcd needs a ca",
    bad: { "cluster.etcd.ca": undefined },
    good: {},
    path: "cluster.etcd.ca",
    code: "required",
  },
  {
    name: "etcd image",
    bad: { "cluster.etcd.image": "etcd:" },
    good: { "cluster.etcd.image": "etcd:3.5" },
    path: "cluster.etcd.image",
    code: "invalid_image",
  },
  {
    name: "etcd extraArgs values are strings",
    bad: { "cluster.etcd.extraArgs": { "quota-backend-bytes": 8589934592 } },
    good: { "cluster.etcd.extraArgs": { "quota-backend-bytes": "8589934592" } },
    path: "cluster.etcd.extraArgs.quota-backend-bytes",
    code: "invalid_type",
  },
  {
    name: "apiServer certSANs",
    bad: { "cluster.apiServer.certSANs": ["bad name"] },
    good: { "cluster.apiServer.certSANs": ["api.bronze.example"] },
    path: "cluster.apiServer.certSANs[0]",
    code: "invalid_san",
  },
  {
    name: "apiServer extraArgs keys",
    bad: { "cluster.apiServer.extraArgs": { Feature_Gates: "x" } },
    good: { "cluster.apiServer.extraArgs": { "feature-gates": "x" } },
    path: "cluster.apiServer.extraArgs.Feature_Gates",
    code: "invalid_key",
  },
  {
    name: "controllerManager fields",
    bad: { "cluster.controllerManager.args": {} },
    good: { "cluster.controllerManager.extraArgs": { "node-cidr-mask-size-ipv4": "24" } },
    path: "cluster.controllerManager.args",
    code: "unknown_field",
  },
  {
    name: "scheduler image",
    bad: { "cluster.scheduler.image": "Scheduler" },
    good: { "cluster.scheduler.image": "registry.k8s.io/kube-scheduler:v1.31.3" },
    path: "cluster.scheduler.image",
    code: "invalid_image",
  },
  {
    name: "allowSchedulingOnControlPlanes is a boolean",
    bad: { "cluster.allowSchedulingOnControlPlanes": "true" },
    good: { "cluster.allowSchedulingOnControlPlanes": true },
    path: "cluster.allowSchedulingOnControlPlanes",
    code: "invalid_type",
  },
];

test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, rule) => {
  const { bad, good } = checkRule(rule);
  expect(bad).toContainEqual({ path: rule.path, code: rule.code });
  expect(good).toEqual([]);
});
