import { afterEach, beforeEach, describe, expect, test } from "bun:test";
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

interface Writes {
  save(text: string): Promise<void>;
  stage(text: string): Promise<void>;
  saveForTrial(text: string): Promise<void>;
}

// The synchronous writes (boot) and their async twins (ConfigApplier) keep the same files.
const writers: [string, () => Writes][] = [
  [
    "synchronous",
    () => ({
      save: async (text) => store.save(text),
      stage: async (text) => store.stage(text),
      saveForTrial: async (text) => store.saveForTrial(text),
    }),
  ],
  [
    "async",
    () => ({
      save: (text) => store.saveAsync(text),
      stage: (text) => store.stageAsync(text),
      saveForTrial: (text) => store.saveForTrialAsync(text),
    }),
  ],
];

describe.each(writers)("%s writes", (_name, writes) => {
  test("nothing is in force before the first save; save replaces it, 0600, no temporary left", async () => {
    const w = writes();
    expect(store.current()).toBeUndefined();
    await w.save("a");
    await w.save("b");
    expect(store.current()).toBe("b");
    expect(statSync(store.currentPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(store.dir)).toEqual(["config.yaml"]);
  });

  test("a failed write keeps the config in force and leaves no temporary file", async () => {
    const w = writes();
    await w.save("old");
    mkdirSync(store.stagedPath); // renaming a file over a directory fails (EISDIR)
    await expect(w.stage("new")).rejects.toThrow(
      new RegExp(`^cannot write ${store.stagedPath}: .*\\(EISDIR\\)`),
    );
    expect(store.current()).toBe("old");
    expect(readdirSync(store.dir).sort()).toEqual(["config.staged.yaml", "config.yaml"]);
  });

  test("a staged config waits for promotion and leaves the config in force alone", async () => {
    const w = writes();
    await w.save("old");
    await w.stage("new");
    expect(store.current()).toBe("old");
    expect(store.staged()).toBe("new");
    expect(store.promoteStaged()).toBe(true);
    expect(store.current()).toBe("new");
    expect(store.staged()).toBeUndefined();
    expect(store.promoteStaged()).toBe(false);
  });

  test("a trial reverts to the config it replaced, or commits", async () => {
    const w = writes();
    await w.save("stable");
    await w.saveForTrial("experiment");
    expect(store.current()).toBe("experiment");
    store.endTrial("revert");
    expect(store.current()).toBe("stable");
    expect(existsSync(store.previousPath)).toBe(false);

    await w.saveForTrial("keeper");
    store.endTrial("commit");
    expect(store.current()).toBe("keeper");
    expect(existsSync(store.previousPath)).toBe(false);
  });

  test("a trial on a node without a config keeps the tried one on revert", async () => {
    const w = writes();
    await w.saveForTrial("first");
    store.endTrial("revert");
    expect(store.current()).toBe("first");
  });
});
