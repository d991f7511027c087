import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { waitFor } from "@bronze/testing";
import { createTestIo, osctl } from "../testing/test-io.ts";
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

/** An IPv4 address of this machine other than loopback, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
}

/** Serves default.yaml with `listen` until the returned stop is called; returns the port. */
async function serveDefault(io: ReturnType<typeof createTestIo>, listen: string) {
  mkdirSync(join(io.dir, "out"), { recursive: true });
  mkdirSync(join(io.dir, "cfg"), { recursive: true });
  writeFileSync(join(io.dir, "cfg/default.yaml"), "cluster: {ca: {key: secret}}\n");
  let stop = () => {};
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  const serving = pxeServe({ assets: "out", configs: "cfg", listen }, io, stopped);
  const served = /serving .* on http:\/\/([^ ]+):(\d+) /.exec(io.out.join(""));
  const end = async () => {
    stop();
    await serving;
  };
  return { host: served?.[1], port: Number(served?.[2]), stop: end };
}

// L6 (security review): the configs it serves hold the cluster's CA keys.
test("pxe serve --listen :PORT stays on 127.0.0.1; an address given explicitly is used as is", async () => {
  const io = createTestIo();
  const external = externalAddress();
  try {
    const local = await serveDefault(io, ":0");
    try {
      expect(local.host).toBe("127.0.0.1");
      expect((await fetch(`http://127.0.0.1:${local.port}/config`)).status).toBe(200);
      if (external !== undefined)
        await expect(fetch(`http://${external}:${local.port}/config`)).rejects.toThrow();
    } finally {
      await local.stop();
    }
    if (external !== undefined) {
      io.out.length = 0;
      const explicit = await serveDefault(io, `${external}:0`);
      try {
        expect(explicit.host).toBe(external);
        expect((await fetch(`http://${external}:${explicit.port}/config`)).status).toBe(200);
      } finally {
        await explicit.stop();
      }
    }
  } finally {
    io.cleanup();
  }
});

test("pxe serve --help: 127.0.0.1 by default, and says that it hands out CA keys", async () => {
  const io = createTestIo();
  try {
    const help = await osctl(io, "pxe", "serve", "--help");
    expect(help.stdout).toContain('(default: "127.0.0.1:8080")');
    expect(help.stdout).toContain("CA keys included, to anyone who can reach it");
  } finally {
    io.cleanup();
  }
});
