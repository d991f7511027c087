// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac} and ${base-url} are iPXE and machined variables, not templates
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { candidateNames, normalizeMac, PxeServeError, parseListen, startPxeServer } from "./pxe-server.ts";

let dir = "";
let server: ReturnType<typeof startPxeServer>;
const logs: string[] = [];
let base = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "osctl-pxe-"));
  mkdirSync(join(dir, "assets"));
  mkdirSync(join(dir, "configs"));
  writeFileSync(join(dir, "assets/vmlinuz"), Buffer.from([1, 2, 3, 4, 5]));
  writeFileSync(
    join(dir, "assets/boot.ipxe"),
    "#!ipxe\nkernel ${base-url}/vmlinuz initrd=initramfs.zst console=ttyS0\ninitrd ${base-url}/initramfs.zst\nboot\n",
  );
  writeFileSync(join(dir, "configs/52:54:00:aa:bb:cc.yaml"), "machine: by-mac\n");
  writeFileSync(join(dir, "configs/52-54-00-00-00-01.yaml"), "machine: by-hyphen-mac\n");
  writeFileSync(join(dir, "configs/0e8d4c3a-1b2c-4d5e-8f90-a1b2c3d4e5f6.yaml"), "machine: by-uuid\n");
  writeFileSync(join(dir, "configs/52:54:00:00:00:99.ipxe"), "#!ipxe\necho custom\n");
  server = startPxeServer({
    assetsDir: join(dir, "assets"),
    configsDir: join(dir, "configs"),
    listen: { hostname: "127.0.0.1", port: 0 },
    log: (l) => logs.push(l),
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("serves assets byte for byte and refuses path tricks", async () => {
  const res = await fetch(`${base}/assets/vmlinuz`);
  expect(res.status).toBe(200);
  expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3, 4, 5]);
  expect((await fetch(`${base}/assets/missing`)).status).toBe(404);
  expect((await fetch(`${base}/assets/..%2Fconfigs%2Fdefault.yaml`)).status).toBe(400);
});

test("config by MAC (colons, hyphens, URL-encoded), by UUID, then 404 naming what was tried", async () => {
  const get = async (query: string) => {
    const res = await fetch(`${base}/config?${query}`);
    return { status: res.status, body: await res.text() };
  };
  expect(await get("mac=52:54:00:AA:BB:CC")).toEqual({ status: 200, body: "machine: by-mac\n" });
  expect(await get("mac=52%3A54%3A00%3Aaa%3Abb%3Acc")).toEqual({ status: 200, body: "machine: by-mac\n" });
  expect(await get("mac=52:54:00:00:00:01")).toEqual({ status: 200, body: "machine: by-hyphen-mac\n" });
  expect(await get("mac=52:54:00:00:00:02&uuid=0E8D4C3A-1B2C-4D5E-8F90-A1B2C3D4E5F6")).toEqual({
    status: 200,
    body: "machine: by-uuid\n",
  });
  const missing = await get("mac=52:54:00:00:00:02");
  expect(missing.status).toBe(404);
  expect(missing.body).toContain("52:54:00:00:00:02.yaml");
  expect(missing.body).toContain("default.yaml");
  expect(missing.body).toContain("maintenance mode");
  expect(logs.some((l) => l.startsWith("GET /config?mac=52:54:00:00:00:02 -> 404"))).toBe(true);
});

test("default.yaml catches machines without their own config", async () => {
  writeFileSync(join(dir, "configs/default.yaml"), "machine: default\n");
  try {
    expect(await (await fetch(`${base}/config?mac=52:54:00:00:00:03`)).text()).toBe("machine: default\n");
  } finally {
    rmSync(join(dir, "configs/default.yaml"));
  }
});

test("boot.ipxe: rendered from the image's template with this server's URLs, or a per-machine script", async () => {
  const res = await fetch(`${base}/boot.ipxe?mac=52:54:00:00:00:01`);
  expect(res.status).toBe(200);
  const script = await res.text();
  expect(script).toContain(`set base-url ${base}/assets\n`);
  expect(script).toContain(`console=ttyS0 bronze.config=${base}/config?mac=\${mac}&uuid=\${uuid}\n`);
  expect(await (await fetch(`${base}/boot.ipxe?mac=52-54-00-00-00-99`)).text()).toBe("#!ipxe\necho custom\n");
  expect(await (await fetch(`${base}/boot.ipxe`)).text()).toBe(
    `#!ipxe\nchain ${base}/boot.ipxe?mac=\${mac}&uuid=\${uuid}\n`,
  );
});

test("unknown paths and methods", async () => {
  expect((await fetch(`${base}/nope`)).status).toBe(404);
  expect((await fetch(`${base}/config`, { method: "POST" })).status).toBe(405);
});

test("helpers: MAC forms, candidate order, listen parsing", () => {
  expect(normalizeMac("5254.00")).toBeUndefined();
  expect(normalizeMac("525400AABBCC")).toBe("52:54:00:aa:bb:cc");
  expect(candidateNames(new URLSearchParams("mac=52-54-00-aa-bb-cc"), ".yaml")).toEqual([
    "52:54:00:aa:bb:cc.yaml",
    "52-54-00-aa-bb-cc.yaml",
    "default.yaml",
  ]);
  expect(parseListen(":8080")).toEqual({ hostname: "127.0.0.1", port: 8080 });
  expect(parseListen("0.0.0.0:8080")).toEqual({ hostname: "0.0.0.0", port: 8080 });
  expect(parseListen("127.0.0.1:80")).toEqual({ hostname: "127.0.0.1", port: 80 });
  expect(parseListen("[::1]:80")).toEqual({ hostname: "::1", port: 80 });
  expect(() => parseListen("8080")).toThrow(PxeServeError);
  expect(() =>
    startPxeServer({
      assetsDir: join(dir, "nope"),
      configsDir: dir,
      listen: { hostname: "127.0.0.1", port: 0 },
      log: () => {},
    }),
  ).toThrow("--assets");
});
