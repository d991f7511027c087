import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { demoClusterPlan } from "../testing/demo-cluster-plan.ts";
import { createTestIo } from "../testing/test-io.ts";
import { mergeClusterContext } from "./cluster-context.ts";

const io = createTestIo();
afterAll(() => io.cleanup());
const plan = demoClusterPlan();
const generated = join(io.dir, "generated-osconfig");
writeFileSync(
  generated,
  "context: demo\ncontexts:\n  demo: {endpoints: [10.5.0.2], nodes: [], ca: Y2E=, crt: Y3J0, key: a2V5}\n",
);

test("a new osconfig: the cluster's context, every node's forwarded apid as an endpoint, current", () => {
  const path = join(io.dir, "new", "config");
  expect(mergeClusterContext(plan, generated, path, io)).toBe("demo");
  const config = parse(readFileSync(path, "utf8"));
  expect(config.context).toBe("demo");
  expect(config.contexts.demo).toMatchObject({
    endpoints: ["127.0.0.1:4001", "127.0.0.1:4002"],
    nodes: [],
    ca: "Y2E=",
  });
  expect(io.out.join("")).toBe(`merged context "demo" into ${path}\n`);
});

test("a name already taken: the context is renamed, the other kept", () => {
  const path = join(io.dir, "taken");
  writeFileSync(
    path,
    "context: demo\ncontexts:\n  demo: {endpoints: [192.0.2.1], nodes: [], ca: a, crt: b, key: c}\n",
  );
  expect(mergeClusterContext(plan, generated, path, io)).toBe("demo-1");
  const config = parse(readFileSync(path, "utf8"));
  expect(config.context).toBe("demo-1");
  expect(config.contexts.demo.endpoints).toEqual(["192.0.2.1"]);
  expect(config.contexts["demo-1"].endpoints).toEqual(["127.0.0.1:4001", "127.0.0.1:4002"]);
});

test("gen config's osconfig without the cluster's context: a failure, not a half-merged file", () => {
  const other = join(io.dir, "other-osconfig");
  writeFileSync(other, "context: x\ncontexts:\n  x: {endpoints: [], nodes: [], ca: a, crt: b, key: c}\n");
  expect(() => mergeClusterContext(plan, other, join(io.dir, "untouched"), io)).toThrow(
    "gen config wrote no context",
  );
  expect(existsSync(join(io.dir, "untouched"))).toBe(false);
});
