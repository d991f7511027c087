import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigStore } from "./config-store.ts";

let dir: string;
let store: ConfigStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "config-store-"));
  store = new ConfigStore(join(dir, "state"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("nothing is in force before the first save; save replaces it, 0600, no temporary left", () => {
  expect(store.current()).toBeUndefined();
  store.save("a");
  store.save("b");
  expect(store.current()).toBe("b");
  expect(statSync(store.currentPath).mode & 0o777).toBe(0o600);
  expect(readdirSync(store.dir)).toEqual(["config.yaml"]);
});

test("a failed write keeps the config in force and leaves no temporary file", () => {
  store.save("old");
  mkdirSync(store.stagedPath); // renaming a file over a directory fails (EISDIR)
  expect(() => store.stage("new")).toThrow(new RegExp(`^cannot write ${store.stagedPath}: .*\\(EISDIR\\)`));
  expect(store.current()).toBe("old");
  expect(readdirSync(store.dir).sort()).toEqual(["config.staged.yaml", "config.yaml"]);
});

test("a staged config waits for promotion and leaves the config in force alone", () => {
  store.save("old");
  store.stage("new");
  expect(store.current()).toBe("old");
  expect(store.staged()).toBe("new");
  expect(store.promoteStaged()).toBe(true);
  expect(store.current()).toBe("new");
  expect(store.staged()).toBeUndefined();
  expect(store.promoteStaged()).toBe(false);
});

test("a trial reverts to the config it replaced, or commits", () => {
  store.save("stable");
  store.saveForTrial("experiment");
  expect(store.current()).toBe("experiment");
  store.endTrial("revert");
  expect(store.current()).toBe("stable");
  expect(existsSync(store.previousPath)).toBe(false);

  store.saveForTrial("keeper");
  store.endTrial("commit");
  expect(store.current()).toBe("keeper");
  expect(existsSync(store.previousPath)).toBe(false);
});

test("a trial on a node without a config keeps the tried one on revert", () => {
  store.saveForTrial("first");
  store.endTrial("revert");
  expect(store.current()).toBe("first");
});
