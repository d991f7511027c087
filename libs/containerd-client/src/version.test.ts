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

test("a unary round trip takes well under the default deadline", async () => {
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await env.client.version();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  expect(times[25]).toBeLessThan(50);
});
