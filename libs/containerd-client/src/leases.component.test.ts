import { expect, test } from "bun:test";
import { useContainerd } from "../test/fixtures.ts";
import { sha256Digest } from "./image-spec.ts";
import { LEASE_EXPIRE_LABEL } from "./leases.ts";

const env = useContainerd();

test("leases carry an expiry label, list, hold resources, and go", async () => {
  const before = Date.now();
  const lease = await env.client.leases.create({ id: "l1", expiresInMs: 60_000, labels: { why: "test" } });
  expect(lease.id).toBe("l1");
  const expires = Date.parse(lease.labels[LEASE_EXPIRE_LABEL] ?? "");
  expect(expires).toBeGreaterThanOrEqual(before + 59_000);
  expect(lease.labels.why).toBe("test");
  const data = new TextEncoder().encode("leased blob");
  const digest = sha256Digest(data);
  await env.client.content.write(data, { expected: digest, lease: "l1" });
  expect(await env.client.leases.resources("l1")).toEqual([{ id: digest, type: "content" }]);
  expect((await env.client.leases.list()).map((l) => l.id)).toEqual(["l1"]);
  // deleting the lease synchronously collects what only it held
  await env.client.leases.remove("l1", { sync: true });
  expect(await env.client.leases.list()).toEqual([]);
  expect(await env.client.content.has(digest)).toBe(false);
});

test("with() deletes its lease after success and after failure; on failure the garbage is gone", async () => {
  const data = new TextEncoder().encode("kept blob");
  const digest = sha256Digest(data);
  await env.client.leases.with(async (lease) => {
    await env.client.content.write(data, {
      expected: digest,
      lease,
      labels: { "containerd.io/gc.root": "yes" },
    });
  });
  expect(await env.client.leases.list()).toEqual([]);
  expect(await env.client.content.has(digest)).toBe(true);
  const junk = new TextEncoder().encode("junk blob");
  const e = await env.client.leases
    .with(async (lease) => {
      await env.client.content.write(junk, { lease });
      throw new Error("changed my mind");
    })
    .catch((x) => x);
  expect(e.message).toBe("changed my mind");
  expect(await env.client.leases.list()).toEqual([]);
  expect(await env.client.content.has(sha256Digest(junk))).toBe(false);
});
