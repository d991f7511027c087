import { expect, test } from "bun:test";
import { useContainerd } from "../test/fixtures.ts";

const env = useContainerd();

test("version answers with the Debian containerd's version", async () => {
  const v = await env.client.version();
  const cli = Bun.spawnSync(["containerd", "--version"]).stdout.toString();
  expect(v.version.length).toBeGreaterThan(0);
  expect(cli).toContain(v.version);
  expect(cli).toContain(v.revision);
});

// How long a round trip takes is measured by bench/containerd.bench.ts (p50/p99 of 1000 calls).
