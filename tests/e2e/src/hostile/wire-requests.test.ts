import { expect, test } from "bun:test";
import { validateConfig } from "@bronze/config-schema";
import { seededRandom } from "./seeded-random.ts";
import { INVALID_CONFIG, wireRequest } from "./wire-requests.ts";

const M = "/bronze.machine.v1.MachineService/";

test("the same seed gives the same requests", () => {
  const a = seededRandom(9);
  const b = seededRandom(9);
  for (let i = 0; i < 500; i++) {
    const x = wireRequest(a);
    const y = wireRequest(b);
    expect(y.kind).toBe(x.kind);
    expect(y.headers).toEqual(x.headers);
    expect(Buffer.from(y.body).equals(Buffer.from(x.body))).toBe(true);
  }
});

test("admins only call harmless methods, and the config they send can never be applied", () => {
  expect(validateConfig(INVALID_CONFIG, { mode: "container" }).ok).toBe(false);
  const r = seededRandom(10);
  const adminPaths = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const req = wireRequest(r);
    if (req.role === "admin") adminPaths.add(req.path);
  }
  expect([...adminPaths].sort()).toEqual(
    ["ApplyConfiguration", "Hostname", "ServiceList", "Version"].map((m) => `${M}${m}`),
  );
});

test("every protocol, broken envelopes, mangled paths and HTTP/1.1 come up; readers try privileged methods", () => {
  const r = seededRandom(11);
  const types = new Set<string>();
  const kinds: string[] = [];
  let http1 = 0;
  let privilegedReader = 0;
  for (let i = 0; i < 4000; i++) {
    const req = wireRequest(r);
    types.add(req.headers["content-type"] ?? "");
    kinds.push(req.kind);
    if (req.http1) http1++;
    if (req.role === "reader" && req.privileged) privilegedReader++;
  }
  expect(types.size).toBe(19);
  for (const k of [
    "length-longer",
    "length-shorter",
    "truncated-header",
    "compressed-flag",
    "two-envelopes",
    "json-deep",
    "proto-lying-length",
    "path-long",
    "base64",
  ])
    expect(kinds.some((kind) => kind.includes(k))).toBe(true);
  expect(http1).toBeGreaterThan(100);
  expect(privilegedReader).toBeGreaterThan(500);
});
