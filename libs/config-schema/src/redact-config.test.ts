import { expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { CONTROLPLANE_YAML, WORKER_YAML } from "../test/fixtures.ts";
import { ConfigError } from "./config-error.ts";
import { REDACTED, redactConfig } from "./redact-config.ts";
import { validateConfig } from "./validate.ts";

type Tree = Record<string, unknown>;
const values = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Tree);
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);

test("every built-in secret of the control-plane config is replaced; public material stays", () => {
  const [doc] = values(redactConfig(CONTROLPLANE_YAML));
  for (const path of [
    ["machine", "token"],
    ["machine", "ca", "key"],
    ["cluster", "secret"],
    ["cluster", "token"],
    ["cluster", "secretboxEncryptionSecret"],
    ["cluster", "ca", "key"],
    ["cluster", "aggregatorCA", "key"],
    ["cluster", "serviceAccount", "key"],
    ["cluster", "etcd", "ca", "key"],
  ])
    expect({ path, value: at(doc, ...path) }).toEqual({ path, value: REDACTED });
  expect((at(doc, "machine", "ca", "crt") as string).length).toBeGreaterThan(100);
  expect(at(doc, "cluster", "id")).toBe("b7Ll93r5FRz0yC/BG/nPw2nQWl++Tk2tKTbeCCwXsxc=");
  expect(at(doc, "cluster", "controlPlane", "endpoint")).toBe("https://10.0.0.10:6443");
  expect(at(doc, "machine", "network", "interfaces", 0, "addresses")).toEqual([
    "10.0.0.10/24",
    "fd00:10::10/64",
  ]);
  expect(at(doc, "machine", "sysctls")).toEqual({ "net.ipv4.ip_forward": "1", "vm.max_map_count": "262144" });
  expect(at(doc, "cluster", "etcd", "extraArgs", "listen-metrics-urls")).toBe("http://0.0.0.0:2381");
});

test("no secret survives anywhere in the text; comments go; every document stays", () => {
  const redacted = redactConfig(CONTROLPLANE_YAML);
  for (const secret of [
    "q3k7vz.8f2mxw0c1pl4hb9d",
    "w9d2kx.4hq8zt1v6m0pyc3r",
    "ng9/qWvt1jyv/8BDOa/u6c92KFXWPfS9qVYoJfL6uiE=",
    "mphGEpxZ9AGv1UklggtaMY+fV68Oa7e4fTkQQAWQ9Wc=",
    "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUV6UHVS",
    "remote pass foo", // ExtensionServiceConfig configFiles[].content
    "enable_unprivileged_ports", // machine.files[].content
    "proxy.bronze.example", // machine.env
  ]) {
    expect(redacted).not.toContain(secret);
  }
  expect(redacted).not.toContain("#");
  expect(redacted).toContain("kind: WatchdogTimerConfig");
  expect(values(redacted)).toHaveLength(values(CONTROLPLANE_YAML).length);
  // Lines roughly stay put: a comment line leaves a blank line.
  const line = (text: string, what: string) => text.split("\n").findIndex((l) => l.includes(what));
  expect(line(redacted, "  token: ")).toBe(line(CONTROLPLANE_YAML, "  token: "));
});

test("the review's cases: env, file contents, extension environment, URL passwords", () => {
  const config = `${WORKER_YAML.replace(
    "  type: worker\n",
    [
      "  type: worker",
      "  env:",
      "    HTTPS_PROXY: http://svc:Pr0xyPassw0rd@proxy.example:3128",
      "  files:",
      "    - content: |",
      '        {"auths": {"registry.example": {"auth": "dXNlcjpSZWdpc3RyeVBhc3N3MHJk"}}}',
      "      permissions: 0o600",
      "      path: /var/cri/auth.json",
      "      op: create",
      "",
    ].join("\n"),
  ).replace(
    "image: ghcr.io/bronze/installer:v0.1.0",
    "image: https://deploy:Inst4llPassw0rd@assets.example/bronze?X-Amz-Signature=S1gnature",
  )}---
apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: backup
configFiles:
  - content: "access_key = AKIAEXAMPLE\\nsecret_key = S3cretKeyValue"
    mountPath: /etc/backup.conf
environment:
  - S3_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCY
  - S3_BUCKET=backups
---
apiVersion: v1alpha1
kind: KmsgLogConfig
name: logs
url: tcp://logs.example:5170?token=L0gT0ken
`;
  expect(validateConfig(config, { mode: "container" }).errors).toEqual([]);
  const redacted = redactConfig(config);
  for (const secret of [
    "Pr0xyPassw0rd",
    "dXNlcjpSZWdpc3RyeVBhc3N3MHJk",
    "Inst4llPassw0rd",
    "S1gnature",
    "S3cretKeyValue",
    "wJalrXUtnFEMIK7MDENGbPxRfiCY",
    "L0gT0ken",
  ])
    expect(redacted).not.toContain(secret);
  const [machine, extension, kmsg] = values(redacted);
  expect(at(machine, "machine", "env")).toEqual({ HTTPS_PROXY: REDACTED });
  expect(at(machine, "machine", "files", 0)).toEqual({
    content: REDACTED,
    permissions: 0o600,
    path: "/var/cri/auth.json",
    op: "create",
  });
  expect(at(machine, "machine", "install", "image")).toBe("https://******@assets.example/bronze?******");
  expect(at(extension, "environment")).toEqual(["S3_SECRET_ACCESS_KEY=******", "S3_BUCKET=******"]);
  expect(at(extension, "configFiles")).toEqual([{ content: REDACTED, mountPath: "/etc/backup.conf" }]);
  expect(at(kmsg, "url")).toBe("tcp://logs.example:5170?******");
});

test("fails closed: fields the rules do not list, unknown kinds and secret flags are redacted", () => {
  const config =
    `${WORKER_YAML.replace("  type: worker\n", "  type: worker\n  registries: {auth: {password: hunter2}}\n")}---
apiVersion: v1alpha1
kind: FutureConfig
name: x
apiKey: fUtUr3S3cret
`.replace(
      "    image: ghcr.io/siderolabs/kubelet:v1.31.2\n",
      "    extraArgs: {bootstrap-token: t0k3n, v: '2'}\n",
    );
  const redacted = redactConfig(config);
  expect(redacted).not.toContain("hunter2");
  expect(redacted).not.toContain("fUtUr3S3cret");
  const [machine, future] = values(redacted);
  expect(at(machine, "machine", "registries", "auth", "password")).toBe(REDACTED);
  expect(future).toEqual({ apiVersion: "v1alpha1", kind: "FutureConfig", name: REDACTED, apiKey: REDACTED });
});

test("an alias does not carry a secret out through a readable anchor, nor in through a secret one", () => {
  const config =
    "version: v1alpha1\nmachine:\n  type: &t worker\n  token: *t\n  ca: {crt: &c abc, key: *c}\ncluster: {}\n";
  const [doc] = values(redactConfig(config));
  expect(at(doc, "machine", "token")).toBe(REDACTED);
  expect(at(doc, "machine", "type")).toBe(REDACTED); // the anchor is redacted where it is defined
  expect(at(doc, "machine", "ca", "key")).toBe(REDACTED);
});

test("empty secrets stay empty (workers carry no CA key)", () => {
  const [doc] = values(redactConfig(WORKER_YAML));
  expect(at(doc, "machine", "ca", "key")).toBe("");
  expect(at(doc, "machine", "token")).toBe(REDACTED);
});

test("the redacted config keeps its shape: the only errors are on redacted fields", () => {
  const result = validateConfig(redactConfig(WORKER_YAML), { mode: "container" });
  for (const e of result.errors) expect(e.path).toMatch(/token|secret|key/i);
});

test("a config that does not parse, or is past the limits, is refused rather than returned", () => {
  expect(() => redactConfig("machine:\n  token: [unclosed\n")).toThrow(ConfigError);
  try {
    redactConfig("machine:\n  token: [s3cr3t-in-error\n");
  } catch (error) {
    expect((error as ConfigError).message).not.toContain("s3cr3t");
  }
  expect(() => redactConfig(`${"#\n".repeat(30_000)}a: 1\n`)).toThrow(ConfigError);
  expect(redactConfig("")).toBe("");
});
