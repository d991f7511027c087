import { expect, test } from "bun:test";
import { nodePaths } from "./node-paths.ts";

test("a real node's paths follow docs/design.md", () => {
  const p = nodePaths();
  expect(p.system).toBe("/system");
  expect(p.var).toBe("/var");
  expect(p.state).toBe("/system/state");
  expect(p.machinedSocket).toBe("/system/run/machined/machine.sock");
  expect(p.containerdSocket).toBe("/system/run/containerd/containerd.sock");
  expect(p.containerdRoot).toBe("/var/lib/containerd");
  expect(p.containerdConfig).toBe("/system/etc/containerd/config.toml");
  expect(p.logDir).toBe("/var/log");
});

test("container mode puts everything under the sandbox root", () => {
  const p = nodePaths("/tmp/node");
  expect(p.system).toBe("/tmp/node/system");
  expect(p.var).toBe("/tmp/node/var");
  expect(p.state).toBe("/tmp/node/state");
  expect(p.containerdSocket).toBe("/tmp/node/system/run/containerd/containerd.sock");
  for (const value of Object.values(p)) expect(value.startsWith("/tmp/node")).toBe(true);
});
