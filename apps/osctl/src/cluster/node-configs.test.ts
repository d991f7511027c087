import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringifyConfig } from "@bronze/config-schema";
import { generateSecretsBundle } from "@bronze/pki";
import { parse } from "yaml";
import { generateMachineConfigs } from "../config-generator/config-generator.ts";
import { KUBERNETES_VERSION } from "../config-generator/defaults.ts";
import { demoClusterPlan } from "../testing/demo-cluster-plan.ts";
import { createTestIo } from "../testing/test-io.ts";
import { createClusterDir } from "./cluster-dir.ts";
import { type BaseConfigs, nodeConfigPath, writeNodeConfigs } from "./node-configs.ts";

const home = mkdtempSync(join(tmpdir(), "osctl-node-configs-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const plan = demoClusterPlan();
let base: BaseConfigs;
beforeAll(async () => {
  const configs = generateMachineConfigs({
    clusterName: "demo",
    endpoint: plan.endpoint,
    secrets: await generateSecretsBundle({ now: new Date() }),
    installDisk: "/dev/vda",
    additionalSans: ["127.0.0.1"],
    kubernetesVersion: KUBERNETES_VERSION,
  });
  base = { controlplane: stringifyConfig(configs.controlplane), worker: stringifyConfig(configs.worker) };
});

test("with configs: each node's patched config served by MAC (0600), iPXE scripts for --boot pxe", () => {
  const io = createTestIo();
  try {
    const dirs = createClusterDir(home, "demo");
    writeNodeConfigs(
      { plan, dirs, base, boot: "pxe", cmdline: "console=ttyS0", serverPort: 4000, withConfig: true },
      io,
    );
    const [cp, worker] = plan.nodes;
    if (!cp || !worker) throw new Error("two nodes planned");
    expect(nodeConfigPath(dirs, worker, true)).toBe(join(dirs.configs, `${worker.mac}.yaml`));
    const config = parse(readFileSync(nodeConfigPath(dirs, worker, true), "utf8"));
    expect(config.machine.type).toBe("worker");
    expect(config.machine.network.hostname).toBe("demo-worker-1");
    expect(config.machine.certSANs).toEqual(["127.0.0.1", "10.5.0.3"]);
    expect(parse(readFileSync(nodeConfigPath(dirs, cp, true), "utf8")).machine.type).toBe("controlplane");
    expect(statSync(nodeConfigPath(dirs, cp, true)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dirs.configs, `${worker.mac}.ipxe`), "utf8")).toContain(
      "bronze.config=http://10.0.2.2:4000/config?mac=",
    );
    expect(io.out.join("")).toBe(`generated configs for 2 node(s) in ${dirs.configs}\n`);
  } finally {
    io.cleanup();
  }
});

test("--no-config: the configs stay beside each node's logs, the server has none to hand out", () => {
  const io = createTestIo();
  try {
    const dirs = createClusterDir(home, "bare");
    writeNodeConfigs(
      { plan, dirs, base, boot: "pxe", cmdline: "console=ttyS0", serverPort: 4000, withConfig: false },
      io,
    );
    for (const node of plan.nodes) {
      expect(nodeConfigPath(dirs, node, false)).toBe(join(dirs.dir, node.name, "config.yaml"));
      expect(existsSync(nodeConfigPath(dirs, node, false))).toBe(true);
    }
    expect(readdirSync(dirs.configs).filter((f) => f.endsWith(".yaml"))).toEqual([]);
    const script = readFileSync(join(dirs.configs, `${plan.nodes[0]?.mac}.ipxe`), "utf8");
    expect(script).not.toContain("bronze.config=");
    expect(io.out.join("")).toContain("the nodes boot without them (maintenance mode)");
  } finally {
    io.cleanup();
  }
});

test("a base config the node's patch makes invalid: refused, naming the node and the field", () => {
  const io = createTestIo();
  try {
    const dirs = createClusterDir(home, "invalid");
    const broken = {
      controlplane: base.controlplane,
      worker: base.worker.replace("type: worker", "type: 7"),
    };
    expect(() =>
      writeNodeConfigs(
        { plan, dirs, base: broken, boot: "kernel", cmdline: "", serverPort: 4000, withConfig: true },
        io,
      ),
    ).toThrow(
      expect.objectContaining({
        code: "invalid-input",
        message: expect.stringMatching(/^demo-worker-1: the config is invalid[\s\S]*machine\.type/),
      }),
    );
  } finally {
    io.cleanup();
  }
});
