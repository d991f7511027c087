import { expect, test } from "bun:test";
import { waitFor } from "@bronze/testing";
import { processesMentioning } from "./qemu-processes.ts";

test("finds a live process by command and text; not once it has exited", async () => {
  const marker = `marker-${process.pid}-${Date.now()}`;
  // In the environment only: not in the command line.
  const other = Bun.spawn(["sleep", "30"], { env: { MARKER: marker } });
  const bun = Bun.spawn([process.execPath, "-e", "setTimeout(() => {}, 30000)", marker]);
  try {
    // a process just spawned shows its command line once it has exec'd: wait for that, not longer
    const found = await waitFor(
      () => {
        const pids = processesMentioning(marker, process.execPath);
        return pids.length > 0 ? pids : undefined;
      },
      { what: "the spawned bun in /proc", timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(found).toEqual([bun.pid]);
    expect(processesMentioning(marker, "qemu-system")).toEqual([]);
  } finally {
    for (const p of [bun, other]) p.kill("SIGKILL");
    await Promise.all([bun.exited, other.exited]);
  }
  expect(processesMentioning(marker, process.execPath)).toEqual([]);
});
