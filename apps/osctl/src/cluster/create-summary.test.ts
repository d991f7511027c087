import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestIo } from "../testing/test-io.ts";
import type { ClusterState } from "./cluster-state.ts";
import { type CreateSummaryInput, createSummary } from "./create-summary.ts";

const io = createTestIo();
afterAll(() => io.cleanup());
const FP = "ab".repeat(32);
const serial = (name: string) => join(io.dir, `${name}.serial.log`);
const state: ClusterState = {
  name: "demo",
  createdAt: "2026-01-01T00:00:00.000Z",
  boot: "kernel",
  osconfig: "/home/u/.osctl/config",
  context: "demo-1",
  server: { pid: 1, port: 4000, log: "" },
  nodes: ["demo-controlplane-1", "demo-worker-1"].map((name, i) => ({
    name,
    role: i === 0 ? ("controlplane" as const) : ("worker" as const),
    pid: 1,
    mac: `52:54:00:00:00:0${i}`,
    clusterIp: `10.5.0.${i + 2}`,
    apidPort: 4001 + i,
    serialLog: serial(name),
  })),
};
const input = (over: Partial<CreateSummaryInput>): CreateSummaryInput => ({
  state,
  dir: "/c",
  waited: true,
  withConfig: true,
  failed: 0,
  outcomes: new Map(),
  osconfigFlag: undefined,
  configFile: (node) => `/c/${node.name}/config.yaml`,
  elapsed: "97.3s",
  ...over,
});

test("every node up: what to try next, in the context create merged", () => {
  const outcomes = new Map(state.nodes.map((n) => [n.name, { stage: "api" as const, detail: "version v1" }]));
  expect(createSummary(input({ outcomes }))).toBe(
    [
      "",
      'cluster "demo" is up (97.3s)',
      "try:",
      "  osctl --context demo-1 version",
      "  osctl --context demo-1 services",
      "  osctl --context demo-1 -e 127.0.0.1:4001 logs containerd",
      "  osctl cluster show --name demo",
      "  osctl cluster destroy --name demo",
      "serial logs: /c/<node>/serial.log",
      "",
    ].join("\n"),
  );
});

test("nodes in maintenance mode: the apply-config command of each, pinned to its fingerprint", () => {
  const outcomes = new Map([
    ["demo-controlplane-1", { stage: "api" as const, detail: "" }],
    ["demo-worker-1", { stage: "maintenance" as const, detail: "", fingerprint: FP }],
  ]);
  const text = createSummary(input({ outcomes, osconfigFlag: "/tmp/oc" }));
  expect(text).toContain('cluster "demo" is up, 1 node(s) in maintenance mode (97.3s)\n');
  expect(text).toContain("apply each node's config over the maintenance API:\n");
  expect(text).toContain(
    `  osctl apply-config --insecure -e 127.0.0.1:4002 -f /c/demo-worker-1/config.yaml --cert-fingerprint sha256:${FP}`,
  );
  expect(text).not.toContain("127.0.0.1:4001 -f");
  expect(text).toContain("then:\n  osctl --osconfig /tmp/oc --context demo-1 version\n");
  expect(text).toContain("  osctl --osconfig /tmp/oc cluster destroy --name demo\n");
});

test("--no-config --no-wait: every node listed, the fingerprint read from the console once it is there", () => {
  writeFileSync(
    serial("demo-controlplane-1"),
    `machined: apid: maintenance mode, certificate fingerprint sha256:${FP}\n`,
  );
  const text = createSummary(input({ waited: false, withConfig: false }));
  expect(text).toContain('cluster "demo" started (97.3s)\n');
  expect(text).toContain(
    "apply each node's config over the maintenance API once its console shows the certificate fingerprint:\n",
  );
  expect(text).toContain(
    `-e 127.0.0.1:4001 -f /c/demo-controlplane-1/config.yaml --cert-fingerprint sha256:${FP}`,
  );
  // Not on the console yet: the command reads it from the serial log itself.
  expect(text).toContain(
    `--cert-fingerprint "$(grep -o 'sha256:[0-9a-f]*' ${serial("demo-worker-1")} | tail -1)"`,
  );
});

test("nodes that did not come up are counted in the status", () => {
  expect(createSummary(input({ failed: 2 }))).toContain('cluster "demo" started, 2 node(s) not up (97.3s)\n');
});
