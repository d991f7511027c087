import { expect, test } from "bun:test";
import { join } from "node:path";

test("a real subreaper collects a double-forked orphan while Bun keeps its children's exit codes", async () => {
  const proc = Bun.spawn({
    cmd: [process.execPath, join(import.meta.dir, "reaper-fixture.ts")],
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  expect(err).toBe("");
  expect(code).toBe(0);
  const r = JSON.parse(out);
  expect(r.orphan).toBeGreaterThan(0);
  // The orphan (sleep) was re-parented to the fixture and reaped there, with its status.
  expect(r.reaped).toContainEqual({ pid: r.orphan, comm: "sleep", exitCode: 0, signal: null });
  expect(r.orphanExists).toBe(false);
  expect(r.zombies).toEqual([]);
  // Children spawned by Bun still report their own exit codes.
  expect(r.serviceExit).toBe(7);
  expect(r.forkerExit).toBe(0);
  expect(r.unregisteredExit).toBe(5);
  // And only the orphan was reaped by us.
  expect(r.reaped).toHaveLength(1);
});
