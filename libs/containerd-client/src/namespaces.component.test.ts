import { expect, test } from "bun:test";
import { useContainerd } from "../test/fixtures.ts";
import { isContainerdError } from "./errors.ts";

const env = useContainerd("ns-test");

test("create, get, list, ensure, remove", async () => {
  await env.client.namespaces.create("bronze-a", { owner: "test" });
  expect(await env.client.namespaces.get("bronze-a")).toEqual({
    name: "bronze-a",
    labels: { owner: "test" },
  });
  await env.client.namespaces.ensure("bronze-a");
  await env.client.namespaces.ensure("bronze-b");
  const names = (await env.client.namespaces.list()).map((n) => n.name);
  expect(names).toContain("bronze-a");
  expect(names).toContain("bronze-b");
  await env.client.namespaces.remove("bronze-a");
  expect((await env.client.namespaces.list()).map((n) => n.name)).not.toContain("bronze-a");
});

test("typed errors: duplicate, missing, non-empty, invalid", async () => {
  await env.client.namespaces.create("dup");
  const dup = await env.client.namespaces.create("dup").catch((e) => e);
  expect(isContainerdError(dup, "AlreadyExists")).toBe(true);
  expect(dup.message).toContain('namespaces.create "dup"');
  const missing = await env.client.namespaces.get("missing").catch((e) => e);
  expect(isContainerdError(missing, "NotFound")).toBe(true);
  // a namespace holding a container cannot go
  const inNs = env.client.withNamespace("busy");
  await inNs.containers.create({ id: "keep", spec: { ociVersion: "1.0.2" } });
  const busy = await env.client.namespaces.remove("busy").catch((e) => e);
  expect(isContainerdError(busy, "FailedPrecondition")).toBe(true);
  expect(busy.message).toContain("must be empty");
  await inNs.containers.remove("keep");
  await env.client.namespaces.remove("busy");
  expect(() => env.client.namespaces.create("Bad Name")).toThrow("is not a valid identifier");
});

test("every call carries the client's namespace", async () => {
  const a = env.client.withNamespace("ns-one");
  const b = env.client.withNamespace("ns-two");
  await a.leases.create({ id: "only-in-one" });
  expect((await a.leases.list()).map((l) => l.id)).toEqual(["only-in-one"]);
  expect(await b.leases.list()).toEqual([]);
  await a.leases.remove("only-in-one");
});
