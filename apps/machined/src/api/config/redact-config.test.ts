import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "@bronze/config-schema";
import { parseAllDocuments } from "yaml";
import { REDACTED, RedactError, redactConfig } from "./redact-config.ts";

const testdata = join(import.meta.dir, "../../../../../libs/config-schema/testdata");
const controlplane = readFileSync(join(testdata, "controlplane.yaml"), "utf8");
const worker = readFileSync(join(testdata, "worker.yaml"), "utf8");

function values(text: string): unknown[] {
  return parseAllDocuments(text as string).map((d) => (d as { toJS(): unknown }).toJS());
}

test("every secret of the control-plane config is replaced", () => {
  const redacted = redactConfig(controlplane);
  const [doc] = values(redacted) as [Record<string, Record<string, Record<string, unknown>>>];
  const machine = doc.machine as Record<string, unknown> & { ca: { key: string; crt: string } };
  const cluster = doc.cluster as Record<string, unknown> & {
    ca: { key: string };
    aggregatorCA: { key: string };
    serviceAccount: { key: string };
    etcd: { ca: { key: string } };
  };
  expect(machine.token).toBe(REDACTED);
  expect(machine.ca.key).toBe(REDACTED);
  expect(cluster.secret).toBe(REDACTED);
  expect(cluster.token).toBe(REDACTED);
  expect(cluster.secretboxEncryptionSecret).toBe(REDACTED);
  expect(cluster.ca.key).toBe(REDACTED);
  expect(cluster.aggregatorCA.key).toBe(REDACTED);
  expect(cluster.serviceAccount.key).toBe(REDACTED);
  expect(cluster.etcd.ca.key).toBe(REDACTED);
  // Public material and ordinary settings stay.
  expect(machine.ca.crt.length).toBeGreaterThan(100);
  expect(cluster.id).toBe("b7Ll93r5FRz0yC/BG/nPw2nQWl++Tk2tKTbeCCwXsxc=");
  expect((cluster.controlPlane as { endpoint: string }).endpoint).toBe("https://10.0.0.10:6443");
});

test("no secret value survives anywhere in the text, comments and other documents kept", () => {
  const redacted = redactConfig(controlplane);
  for (const secret of [
    "q3k7vz.8f2mxw0c1pl4hb9d",
    "w9d2kx.4hq8zt1v6m0pyc3r",
    "ng9/qWvt1jyv/8BDOa/u6c92KFXWPfS9qVYoJfL6uiE=",
    "mphGEpxZ9AGv1UklggtaMY+fV68Oa7e4fTkQQAWQ9Wc=",
    "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUV6UHVS",
  ]) {
    expect(redacted).not.toContain(secret);
  }
  expect(redacted).toContain("# Bronze control-plane machine config");
  expect(redacted).toContain("kind: WatchdogTimerConfig");
  expect(values(redacted)).toHaveLength(values(controlplane).length);
});

test("empty keys stay empty (workers carry no CA key)", () => {
  const [doc] = values(redactConfig(worker)) as [{ machine: { ca: { key: string }; token: string } }];
  expect(doc.machine.ca.key).toBe("");
  expect(doc.machine.token).toBe(REDACTED);
});

test("the redacted config keeps its shape (it still parses, same keys)", () => {
  const redacted = redactConfig(worker);
  const result = validateConfig(redacted, { mode: "container" });
  // Redacted secrets are not valid secrets: the only errors are on redacted fields.
  for (const e of result.errors) expect(e.path).toMatch(/token|secret|key/i);
});

test("an unparsable config is refused rather than returned unredacted", () => {
  expect(() => redactConfig("machine:\n  token: [unclosed\n")).toThrow(RedactError);
});
