import { expect, test } from "bun:test";
import { repoNodeBinary, resolveNodeBinary } from "./node-binary.ts";

const moduleDir = "/repo/apps/machined/src/boot";

test("the flag wins, then the compiled binary itself, then the repository's build", () => {
  const base = {
    container: true,
    execPath: "/usr/lib/node_modules/bun/bin/bun.exe",
    moduleDir,
    exists: () => true,
  };
  expect(resolveNodeBinary({ ...base, flag: "x/bronze-node" })).toBe(`${process.cwd()}/x/bronze-node`);
  expect(repoNodeBinary(moduleDir)).toBe("/repo/dist/bronze-node");
  expect(resolveNodeBinary({ ...base, flag: undefined })).toBe("/repo/dist/bronze-node");
  expect(resolveNodeBinary({ ...base, flag: undefined, exists: () => false })).toBeUndefined();
  expect(
    resolveNodeBinary({ ...base, flag: undefined, execPath: "/sbin/init", moduleDir: "/$bunfs/root/boot" }),
  ).toBe("/sbin/init");
  expect(
    resolveNodeBinary({ ...base, flag: undefined, execPath: "/opt/bronze-node", moduleDir: "/$bunfs/root" }),
  ).toBe("/opt/bronze-node");
});
