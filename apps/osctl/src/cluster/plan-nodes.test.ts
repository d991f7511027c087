import { expect, test } from "bun:test";
import { planNodes } from "./plan-nodes.ts";

const input = { name: "demo", controlplanes: 1, workers: 2, memoryMb: 512, cpus: 1 };

test("one free port for the config server and one per node, all different", async () => {
  const { plan, serverPort } = await planNodes(input);
  const apidPorts = plan.nodes.map((n) => n.apidPort);
  expect(plan.nodes.map((n) => n.name)).toEqual(["demo-controlplane-1", "demo-worker-1", "demo-worker-2"]);
  expect(new Set([serverPort, ...apidPorts]).size).toBe(4);
  for (const port of [serverPort, ...apidPorts]) expect(port).toBeGreaterThan(0);
});

test("a flag the plan refuses is a usage error", async () => {
  await expect(planNodes({ ...input, name: "Bad_Name" })).rejects.toThrow(
    expect.objectContaining({ code: "usage", message: expect.stringContaining('--name: "Bad_Name"') }),
  );
  await expect(planNodes({ ...input, controlplanes: 0 })).rejects.toThrow(
    expect.objectContaining({ code: "usage" }),
  );
});
