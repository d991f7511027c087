import { expect, test } from "bun:test";
import { type NodeProbes, NodeWaitError, type WaitClock, waitForNode } from "./node-wait.ts";

function fakeClock(): WaitClock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

/** Serial output that grows with the (fake) time: each line appears at its second. */
function scripted(
  lines: [number, string][],
  clock: { t: number },
  extra: Partial<NodeProbes> = {},
): NodeProbes {
  return {
    serial: () =>
      lines
        .filter(([at]) => at * 1000 <= clock.t)
        .map(([, l]) => l)
        .join("\r\n"),
    alive: () => true,
    tlsAnswers: async () => false,
    version: async () => {
      throw new Error("unavailable");
    },
    ...extra,
  };
}

const BOOT: [number, string][] = [
  [1, "[    0.000000] Linux version 6.1.0-28-cloud-amd64"],
  [5, "2026-01-01T00:00:00Z machined: starting (pid 1, platform qemu)"],
  [
    8,
    "machined: [boot] acquireConfig: config: downloaded from http://10.0.2.2:4000/config?mac=52%3A54 and saved",
  ],
  [9, "machined: [boot] startServices: service containerd is up"],
  [10, "machined: [boot] sequence finished in 5000 ms"],
];

test("reports each step once, in order, and reaches the API when apid answers", async () => {
  const clock = fakeClock();
  const steps: string[] = [];
  const outcome = await waitForNode(
    scripted([...BOOT, [9, "service apid: Running"]], clock, {
      tlsAnswers: async () => clock.t >= 12_000,
      version: async () => "v0.1.0",
    }),
    { timeoutMs: 60_000, clock, progress: (stage, message) => steps.push(`${stage}: ${message}`) },
  );
  expect(outcome).toEqual({ stage: "api", detail: "version v0.1.0" });
  expect(steps).toEqual([
    "kernel: kernel booting",
    "machined: machined started",
    "config: config downloaded from http://10.0.2.2:4000/config?mac=52%3A54",
    "containerd: containerd up",
    "booted: boot sequence finished",
    "apid-tls: apid answers TLS",
    "api: API answers over mTLS (version v0.1.0)",
  ]);
});

test("stops at the end of the boot when machined starts no apid", async () => {
  const clock = fakeClock();
  const outcome = await waitForNode(scripted(BOOT, clock), { timeoutMs: 60_000, clock, progress: () => {} });
  expect(outcome.stage).toBe("booted");
  expect(clock.t).toBe(10_000);
});

test("maintenance mode stops once apid answers TLS and the console shows its certificate fingerprint", async () => {
  const clock = fakeClock();
  const fingerprint = "0f".repeat(32);
  const progress: string[] = [];
  const outcome = await waitForNode(
    scripted(
      [
        [1, "machined: starting"],
        [3, "config: attempt 1 failed: 404; entering maintenance mode"],
        [4, "service apid: Running"],
        [8, `machined: apid: maintenance mode, certificate fingerprint sha256:${fingerprint}`],
      ],
      clock,
      { tlsAnswers: async () => clock.t >= 6_000 },
    ),
    { timeoutMs: 60_000, clock, progress: (stage, message) => progress.push(`${stage}: ${message}`) },
  );
  expect(outcome).toEqual({
    stage: "maintenance",
    detail: `maintenance mode, certificate fingerprint sha256:${fingerprint} (apply a config)`,
    fingerprint,
  });
  // TLS answered at 6 s; the fingerprint line came at 8 s.
  expect(clock.t).toBe(8_000);
  expect(progress.slice(-2)).toEqual([
    "apid-tls: apid answers TLS",
    `maintenance-ready: maintenance mode, fingerprint sha256:${fingerprint}`,
  ]);
});

test("maintenance mode without a fingerprint on the console times out saying so", async () => {
  const clock = fakeClock();
  const wait = waitForNode(
    scripted(
      [
        [1, "machined: starting"],
        [3, "config: no config stored and no bronze.config= URL: entering maintenance mode"],
      ],
      clock,
      { tlsAnswers: async () => true },
    ),
    { timeoutMs: 20_000, clock, progress: () => {} },
  );
  await expect(wait).rejects.toMatchObject({
    code: "Timeout",
    message: expect.stringContaining("the console shows no certificate fingerprint"),
  });
});

test("timeout, exit and boot failure name the last step reached", async () => {
  const clock = fakeClock();
  const timeout = waitForNode(scripted(BOOT.slice(0, 2), clock), {
    timeoutMs: 20_000,
    clock,
    progress: () => {},
  });
  await expect(timeout).rejects.toMatchObject({ code: "Timeout", stage: "machined" });

  const clockW = fakeClock();
  const worker = waitForNode(
    scripted(
      [
        ...BOOT,
        [9, "machined: service apid: Waiting (Waiting for services containerd, pki)"],
        [11, "machined: service apid: Waiting (Waiting for service pki)"],
      ],
      clockW,
    ),
    { timeoutMs: 20_000, clock: clockW, progress: () => {} },
  );
  await expect(worker).rejects.toThrow(
    "not up after 20 s (last step: booted; apid: Waiting (Waiting for service pki))",
  );

  const clock2 = fakeClock();
  const exited = waitForNode(
    { ...scripted(BOOT.slice(0, 1), clock2), alive: () => clock2.t < 3_000 },
    { timeoutMs: 20_000, clock: clock2, progress: () => {} },
  );
  await expect(exited).rejects.toThrow("QEMU exited (last step: kernel)");

  const clock3 = fakeClock();
  const panic = waitForNode(scripted([...BOOT.slice(0, 1), [2, "Kernel panic - not syncing"]], clock3), {
    timeoutMs: 20_000,
    clock: clock3,
    progress: () => {},
  });
  await expect(panic).rejects.toBeInstanceOf(NodeWaitError);
  await expect(panic).rejects.toThrow("boot failed: Kernel panic");

  const clock4 = fakeClock();
  const small = waitForNode(
    scripted(
      [
        ...BOOT.slice(0, 1),
        [2, "[    1.2] Initramfs unpacking failed: write error"],
        [3, "[    3.4] Kernel panic - not syncing: VFS: Unable to mount root fs"],
      ],
      clock4,
    ),
    { timeoutMs: 20_000, clock: clock4, progress: () => {} },
  );
  await expect(small).rejects.toThrow(
    "raise --memory (512 MB runs a control plane; an image built with --initramfs stage1 needs 576 MB)",
  );
});

test("a service that keeps failing to start ends the wait with its reason", async () => {
  const clock = fakeClock();
  const restart = (n: number) =>
    `machined: service apid: Waiting (Failed to start: cannot start container apid: stat /etc/resolv.conf: no such file; restarting in 1000 ms (attempt ${n}))`;
  const wait = waitForNode(
    scripted([...BOOT.slice(0, 4), [12, restart(1)], [14, restart(2)], [16, restart(3)]], clock),
    { timeoutMs: 60_000, clock, progress: () => {} },
  );
  await expect(wait).rejects.toMatchObject({ code: "BootFailed", stage: "containerd" });
  await expect(wait).rejects.toThrow(
    "service apid failed to start 3 times: cannot start container apid: stat /etc/resolv.conf: no such file",
  );
  expect(clock.t).toBe(16_000);
});
