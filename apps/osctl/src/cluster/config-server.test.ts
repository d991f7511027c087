import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@bronze/testing";
import { startConfigServer, waitForConfigServer, waitForHttp } from "./config-server.ts";
import { isAlive, stopProcess } from "./process-control.ts";

const dir = mkdtempSync(join(tmpdir(), "osctl-config-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("this osctl serves the configs detached, on 127.0.0.1, until stopped", async () => {
  const assets = join(dir, "assets");
  const configs = join(dir, "configs");
  mkdirSync(assets);
  mkdirSync(configs);
  writeFileSync(join(configs, "52:54:00:00:00:01.yaml"), "version: v1alpha1\n");
  const port = await freePort();
  const log = join(dir, "pxe-server.log");
  const pid = startConfigServer({ assetsDir: assets, configs, port, log });
  try {
    await waitForConfigServer(port, pid);
    const config = await fetch(`http://127.0.0.1:${port}/config?mac=52%3A54%3A00%3A00%3A00%3A01`);
    expect(config.status).toBe(200);
    expect(await config.text()).toBe("version: v1alpha1\n");
    expect(readFileSync(log, "utf8")).toContain(`on http://127.0.0.1:${port} `);
  } finally {
    expect(await stopProcess(pid)).toBe(true);
  }
  expect(isAlive(pid)).toBe(false);
});

test("a server that died: the wait ends at once, naming the URL", async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/healthz`;
  await expect(waitForHttp(url, 60_000, () => false)).rejects.toThrow(
    `the config server did not answer at ${url}`,
  );
});
