import { expect, test } from "bun:test";
import { Upstreams } from "./upstreams.ts";

const identity = { ca: "ca", impersonator: { crt: "crt", key: "key" } };

test("nodes are reachable only with an impersonator identity; transports are kept per node", () => {
  const worker = new Upstreams("/nonexistent.sock", undefined);
  expect(worker.canForward).toBe(false);
  expect(worker.node({ host: "10.0.0.2", port: 50000 })).toBeUndefined();
  worker.close();

  const cp = new Upstreams("/nonexistent.sock", identity);
  expect(cp.canForward).toBe(true);
  const a = cp.node({ host: "10.0.0.2", port: 50000 });
  expect(a).toBeDefined();
  expect(cp.node({ host: "10.0.0.2", port: 50000 })).toBe(a);
  expect(cp.node({ host: "10.0.0.3", port: 50000 })).not.toBe(a);
  // New certificates: new transports.
  cp.setIdentity(identity);
  expect(cp.node({ host: "10.0.0.2", port: 50000 })).not.toBe(a);
  cp.setIdentity(undefined);
  expect(cp.canForward).toBe(false);
  expect(cp.node({ host: "10.0.0.2", port: 50000 })).toBeUndefined();
  cp.close();
});
