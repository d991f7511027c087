import { expect, test } from "bun:test";
import { MachineConfigSchema, stringifyConfig, validateConfig } from "@bronze/config-schema";
import { generateSecretsBundle } from "@bronze/pki";
import { generateMachineConfigs } from "./config-generator.ts";

test("generated configs pass the schema and keep CA keys off workers", async () => {
  const secrets = await generateSecretsBundle();
  const { controlplane, worker } = generateMachineConfigs({
    clusterName: "c",
    endpoint: "https://[2001:db8::1]:6443",
    secrets,
    installDisk: "/dev/nvme0n1",
    additionalSans: ["2001:db8::1", "api.example.com"],
    kubernetesVersion: "v1.31.4",
  });
  for (const config of [controlplane, worker]) {
    const text = stringifyConfig(MachineConfigSchema.parse(config));
    const result = validateConfig(text, { mode: "metal", strict: true });
    expect(result.errors).toEqual([]);
  }
  const cp = MachineConfigSchema.parse(controlplane);
  const w = MachineConfigSchema.parse(worker);
  // The IPv6 endpoint host is de-bracketed and de-duplicated with the extra SANs.
  expect(cp.machine?.certSANs).toEqual(["2001:db8::1", "api.example.com"]);
  expect(cp.cluster?.apiServer?.image).toBe("registry.k8s.io/kube-apiserver:v1.31.4");
  expect(w.machine?.ca?.key).toBeUndefined();
  expect(w.cluster?.aggregatorCA).toBeUndefined();
  expect(w.machine?.install?.disk).toBe("/dev/nvme0n1");
});
