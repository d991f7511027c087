import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestIo, type TestIo } from "../testing/test-io.ts";
import {
  loadOsconfig,
  mergeOsconfig,
  type Osconfig,
  parseOsconfig,
  saveOsconfig,
  selectContext,
} from "./osconfig.ts";
import { resolveOsconfigPath } from "./osconfig-path.ts";

let io: TestIo;
afterEach(() => io?.cleanup());

const ctx = (endpoint: string) => ({
  endpoints: [endpoint],
  nodes: [],
  ca: "Y2E=",
  crt: "Y3J0",
  key: "a2V5",
});

test("the path comes from the flag, then OSCONFIG, then ~/.osctl/config", () => {
  io = createTestIo({ env: { OSCONFIG: "/env/config" } });
  expect(resolveOsconfigPath("/flag", io)).toBe("/flag");
  expect(resolveOsconfigPath(undefined, io)).toBe("/env/config");
  io.env.OSCONFIG = undefined;
  expect(resolveOsconfigPath(undefined, io)).toBe(join(io.home, ".osctl", "config"));
});

test("a bad file names each wrong field", () => {
  expect(() => parseOsconfig("context: a\ncontexts:\n  a:\n    endpoints: 5\n    ca: x\n", "cfg")).toThrow(
    /cfg: invalid osconfig:\n {2}contexts\.a\.endpoints: .*\n {2}contexts\.a\.crt: /,
  );
  expect(() => parseOsconfig("contexts: [", "cfg")).toThrow("cfg: not valid YAML");
});

test("save then load round-trips, with 0600 permissions", async () => {
  io = createTestIo();
  const path = join(io.dir, "config");
  const config: Osconfig = { context: "a", contexts: { a: ctx("10.0.0.1") } };
  saveOsconfig(path, config);
  expect(loadOsconfig(path)).toEqual(config);
  expect((await Bun.file(path).stat()).mode & 0o777).toBe(0o600);
});

test("a missing file is an error unless allowed", () => {
  io = createTestIo();
  expect(() => loadOsconfig(join(io.dir, "none"))).toThrow("does not exist");
  expect(loadOsconfig(join(io.dir, "none"), { allowMissing: true })).toEqual({ context: "", contexts: {} });
});

test("selectContext names the missing context and the known ones", () => {
  const config: Osconfig = { context: "a", contexts: { a: ctx("1") } };
  expect(selectContext(config, undefined, "cfg").name).toBe("a");
  expect(() => selectContext(config, "b", "cfg")).toThrow('cfg: context "b" not found (known: a)');
});

test("merge renames clashing contexts and makes the merged one current", () => {
  const target: Osconfig = { context: "a", contexts: { a: ctx("1"), "a-1": ctx("2") } };
  const source: Osconfig = { context: "a", contexts: { a: ctx("3") } };
  const { config, renamed } = mergeOsconfig(target, source);
  expect(renamed).toEqual({ a: "a-2" });
  expect(config.context).toBe("a-2");
  expect(config.contexts["a-2"]?.endpoints).toEqual(["3"]);
  expect(config.contexts.a?.endpoints).toEqual(["1"]);
});

test("loading a file written by hand works", () => {
  io = createTestIo();
  const path = join(io.dir, "config");
  writeFileSync(path, "context: x\ncontexts:\n  x:\n    ca: a\n    crt: b\n    key: c\n");
  expect(loadOsconfig(path).contexts.x).toEqual({ endpoints: [], nodes: [], ca: "a", crt: "b", key: "c" });
});
