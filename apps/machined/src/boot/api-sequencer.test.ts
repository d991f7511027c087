import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { SequencerError } from "../api/sequencer.ts";
import { ConfigStore } from "../config/config-store.ts";
import { parseKernelArgs } from "../node/kernel-args.ts";
import { nodePaths } from "../node/node-paths.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { FakeClock } from "../testing/fake-clock.ts";
import { FakeSys } from "../testing/fake-sys.ts";
import { apiSequencer } from "./api-sequencer.ts";
import { Sequencer } from "./sequencer.ts";

test("the API's reboot runs in the background; a second request is refused with Locked", async () => {
  const root = mkdtempSync(join(tmpdir(), "api-seq-"));
  try {
    const sys = new FakeSys();
    let releaseStop: () => void = () => {};
    const supervisor = new Supervisor();
    // Holds the reboot in its first task so that the second request meets the lock.
    supervisor.stopAll = () =>
      new Promise<void>((resolve) => {
        releaseStop = resolve;
      });
    const sequencer = new Sequencer({
      sys,
      clock: new FakeClock(),
      log: () => {},
      supervisor,
      store: new ConfigStore(join(root, "state")),
      args: parseKernelArgs("slab_nomerge pti=on"),
      platform: "metal",
      paths: nodePaths(root),
      network: async () => {},
      fetch: () => Promise.reject(new Error("offline")),
      variables: {
        mac: () => undefined,
        uuid: () => undefined,
        serial: () => undefined,
        hostname: () => undefined,
      },
      services: () => [],
      exit: () => {},
    });
    const api = apiSequencer(sequencer);
    await api.reboot();
    expect(sequencer.running).toBe("reboot");
    const refused = await api.shutdown().catch((e) => e);
    expect(refused).toBeInstanceOf(SequencerError);
    expect(refused.code).toBe("Locked");
    expect(refused.message).toContain("the reboot sequence is running");
    releaseStop();
    await eventually("the reboot done", () => sys.rebooted !== undefined, 10_000, 2);
    expect(sys.rebooted).toBe("restart");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
