import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "@bronze/testing";
import { createTestIo } from "../testing/test-io.ts";
import { pxeServe } from "./pxe.ts";

test("pxe serve listens, logs each request and stops when asked", async () => {
  const io = createTestIo();
  try {
    mkdirSync(join(io.dir, "out"));
    mkdirSync(join(io.dir, "cfg"));
    writeFileSync(join(io.dir, "cfg/default.yaml"), "x: 1\n");
    let stop = () => {};
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    const serving = pxeServe({ assets: "out", configs: "cfg", listen: "127.0.0.1:0" }, io, stopped);
    const port = await waitFor(() => /http:\/\/127\.0\.0\.1:(\d+)/.exec(io.out.join(""))?.[1], {
      what: "the address pxe serve listens on",
      timeoutMs: 5000,
      intervalMs: 5,
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/config?mac=52:54:00:00:00:01`)).text()).toBe(
      "x: 1\n",
    );
    stop();
    await serving;
    expect(io.out.join("")).toMatch(/GET \/config\?mac=52:54:00:00:00:01 -> 200 .*default\.yaml/);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  } finally {
    io.cleanup();
  }
});

test("pxe serve names a bad directory or listen address", async () => {
  const io = createTestIo();
  try {
    await expect(
      pxeServe({ assets: "nope", configs: ".", listen: ":0" }, io, Promise.resolve()),
    ).rejects.toThrow("--assets");
    await expect(pxeServe({ assets: ".", configs: ".", listen: "x" }, io, Promise.resolve())).rejects.toThrow(
      "--listen",
    );
  } finally {
    io.cleanup();
  }
});
