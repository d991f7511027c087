import { expect, test } from "bun:test";
import * as api from "./index.ts";

test("exports the public API osctl is written against", () => {
  expect(typeof api.validateConfig).toBe("function");
  expect(typeof api.applyPatches).toBe("function");
  expect(typeof api.stringifyConfig).toBe("function");
  expect(typeof api.formatIssue).toBe("function");
  expect(typeof api.machineConfigJsonSchema).toBe("function");
  expect(new api.ConfigError("yaml", "x", [])).toBeInstanceOf(Error);
  expect(typeof api.MachineConfigSchema.safeParse).toBe("function");
  expect(api.MODES).toEqual(["metal", "qemu", "container"]);
});

test("exports the config limits and the host name split machined needs", () => {
  expect(api.checkConfigLimits("version: v1alpha1\n")).toEqual([]);
  expect(api.CONFIG_LIMITS.maxBytes).toBe(1024 * 1024);
  expect(api.splitHostname("node1.bronze.example")).toEqual({
    hostname: "node1",
    domainname: "bronze.example",
  });
});
