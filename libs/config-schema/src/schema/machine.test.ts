import { expect, test } from "bun:test";
import { checkRule, type RuleCase } from "../../test/fixtures.ts";

const cases: RuleCase[] = [
  { name: "type is controlplane or worker", bad: { "machine.type": "init" }, good: { "machine.type": "controlplane" }, path: "machine.type", code: "invalid_value" },
  { name: "type is required", bad: { "machine.type": undefined }, good: {}, path: "machine.type", code: "required" },
  { name: "token form", bad: { "machine.token": "a b" }, good: { "machine.token": "any-reasonable.token_42" }, path: "machine.token", code: "invalid_token" },
  { name: "token is a string", bad: { "machine.token": 123456 }, good: { "machine.token": "123456" }, path: "machine.token", code: "invalid_type" },
  { name: "ca.crt is a certificate", bad: { "machine.ca.crt": "bm90IGEgcGVt" }, good: {}, path: "machine.ca.crt", code: "invalid_pem" },
  { name: "ca.key is a private key", bad: { "machine.ca.key": "bm90IGEgcGVt" }, good: {}, path: "machine.ca.key", code: "invalid_pem" },
  { name: "ca has no other fields", bad: { "machine.ca.cert": "x" }, good: {}, path: "machine.ca.cert", code: "unknown_field" },
  { name: "certSANs are IPs or DNS names", bad: { "machine.certSANs": ["10.0.0.10", "not a name"] }, good: { "machine.certSANs": ["10.0.0.10", "*.bronze.example", "fd00::1"] }, path: "machine.certSANs[1]", code: "invalid_san" },
  { name: "install.disk is a device path", bad: { "machine.install.disk": "sda" }, good: { "machine.install.disk": "/dev/nvme0n1" }, path: "machine.install.disk", code: "invalid_path" },
  { name: "install.image is an image reference", bad: { "machine.install.image": "Installer:latest!" }, good: { "machine.install.image": "ghcr.io/bronze/installer:v0.2.0" }, path: "machine.install.image", code: "invalid_image" },
  { name: "install.wipe is a boolean", bad: { "machine.install.wipe": "yes" }, good: { "machine.install.wipe": false }, path: "machine.install.wipe", code: "invalid_type" },
  { name: "extraKernelArgs are single arguments", bad: { "machine.install.extraKernelArgs": ["console=ttyS0 quiet"] }, good: { "machine.install.extraKernelArgs": ["console=ttyS0", "quiet"] }, path: "machine.install.extraKernelArgs[0]", code: "invalid_kernel_arg" },
  { name: "time.servers are hosts or IPs", bad: { "machine.time.servers": ["ntp!"] }, good: { "machine.time.servers": ["pool.ntp.org", "10.0.0.1"] }, path: "machine.time.servers[0]", code: "invalid_hostname" },
  { name: "time.bootTimeout is a duration", bad: { "machine.time.bootTimeout": "2 minutes" }, good: { "machine.time.bootTimeout": "90s" }, path: "machine.time.bootTimeout", code: "invalid_duration" },
  { name: "time.disabled is a boolean", bad: { "machine.time.disabled": 1 }, good: { "machine.time.disabled": true }, path: "machine.time.disabled", code: "invalid_type" },
  { name: "sysctl names", bad: { "machine.sysctls": { "net ipv4": "1" } }, good: { "machine.sysctls": { "net.ipv4.conf.all.rp_filter": "1" } }, path: 'machine.sysctls["net ipv4"]', code: "invalid_key" },
  { name: "sysctl values are strings", bad: { "machine.sysctls": { "vm.swappiness": 10 } }, good: { "machine.sysctls": { "vm.swappiness": "10" } }, path: 'machine.sysctls["vm.swappiness"]', code: "invalid_type" },
  { name: "files need op", bad: { "machine.files": [{ content: "x", permissions: 0o644, path: "/var/x" }] }, good: { "machine.files": [{ content: "x", permissions: 0o644, path: "/var/x", op: "append" }] }, path: "machine.files[0].op", code: "required" },
  { name: "file op is create, append or overwrite", bad: { "machine.files": [{ content: "x", permissions: 0o644, path: "/var/x", op: "replace" }] }, good: { "machine.files": [{ content: "x", permissions: 0o644, path: "/var/x", op: "overwrite" }] }, path: "machine.files[0].op", code: "invalid_value" },
  { name: "file path is absolute", bad: { "machine.files": [{ content: "x", permissions: 0o644, path: "var/x", op: "create" }] }, good: { "machine.files": [{ content: "x", permissions: 0o644, path: "/var/x", op: "create" }] }, path: "machine.files[0].path", code: "invalid_path" },
  { name: "file path has no ..", bad: { "machine.files": [{ content: "x", permissions: 0o644, path: "/var/../etc/x", op: "create" }] }, good: {}, path: "machine.files[0].path", code: "invalid_path" },
  { name: "file permissions are mode bits", bad: { "machine.files": [{ content: "x", permissions: 0o10000, path: "/var/x", op: "create" }] }, good: { "machine.files": [{ content: "x", permissions: 0o4755, path: "/var/x", op: "create" }] }, path: "machine.files[0].permissions", code: "invalid_permissions" },
  { name: "file permissions are integers", bad: { "machine.files": [{ content: "x", permissions: "0644", path: "/var/x", op: "create" }] }, good: {}, path: "machine.files[0].permissions", code: "invalid_type" },
  { name: "env names", bad: { "machine.env": { "1BAD": "x" } }, good: { "machine.env": { GOOD_1: "x" } }, path: 'machine.env["1BAD"]', code: "invalid_key" },
  { name: "kernel module names", bad: { "machine.kernel.modules": [{ name: "br netfilter" }] }, good: { "machine.kernel.modules": [{ name: "br_netfilter" }] }, path: "machine.kernel.modules[0].name", code: "invalid_format" },
  { name: "kernel module parameters are name=value", bad: { "machine.kernel.modules": [{ name: "nf_conntrack", parameters: ["hash size=1"] }] }, good: { "machine.kernel.modules": [{ name: "nf_conntrack", parameters: ["hashsize=1"] }] }, path: "machine.kernel.modules[0].parameters[0]", code: "invalid_format" },
  { name: "kubelet.image is an image reference", bad: { "machine.kubelet.image": "kubelet@sha256:xyz" }, good: {}, path: "machine.kubelet.image", code: "invalid_image" },
  { name: "kubelet.extraArgs are flag names without --", bad: { "machine.kubelet.extraArgs": { "--max-pods": "200" } }, good: { "machine.kubelet.extraArgs": { "max-pods": "200" } }, path: 'machine.kubelet.extraArgs["--max-pods"]', code: "invalid_key" },
  { name: "kubelet.nodeIP.validSubnets are CIDRs", bad: { "machine.kubelet.nodeIP.validSubnets": ["10.0.0.1"] }, good: { "machine.kubelet.nodeIP.validSubnets": ["10.0.0.0/8", "!10.1.0.0/16"] }, path: "machine.kubelet.nodeIP.validSubnets[0]", code: "invalid_cidr" },
  { name: "unknown machine fields", bad: { "machine.hostname": "x" }, good: {}, path: "machine.hostname", code: "unknown_field" },
];

test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, rule) => {
  const { bad, good } = checkRule(rule);
  expect(bad).toContainEqual({ path: rule.path, code: rule.code });
  expect(good.filter((e) => e.path === rule.path)).toEqual([]);
  expect(good).toEqual([]);
});
