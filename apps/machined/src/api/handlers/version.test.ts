import { afterAll, expect, test } from "bun:test";
import { BRONZE_VERSION } from "@bronze/api";
import type { MachineConfig } from "@bronze/config-schema";
import { recordConfigured } from "../../node/node-state.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import { goArch } from "./version.ts";

const f = makeFixture({}, { maintenance: true });
afterAll(() => f.cleanup());

test("Version reports the release, build, runtime, platform and maintenance mode", async () => {
  const c = f.client("os:reader");
  const v = await c.version({});
  expect(v.version?.tag).toBe(BRONZE_VERSION);
  expect(v.version?.sha).toBe("abc123");
  expect(v.version?.runtime).toBe(`bun ${Bun.version}`);
  expect(v.version?.os).toBe("linux");
  expect(v.version?.arch).toBe(goArch());
  expect(v.platform).toBe("container");
  expect(v.maintenance).toBe(true);
  recordConfigured(f.state, {} as MachineConfig);
  expect((await c.version({})).maintenance).toBe(false);
});

test("Hostname", async () => {
  expect((await f.client("os:reader").hostname({})).hostname).toBe("node-1");
});

test("architectures use Go's names", () => {
  expect(goArch("x64")).toBe("amd64");
  expect(goArch("arm64")).toBe("arm64");
});
