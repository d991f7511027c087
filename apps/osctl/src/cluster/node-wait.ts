// Waits for a booting node, reporting each step once: from the serial log (kernel, machined,
// config, containerd, the end of the boot sequence), then apid answering TLS on its forwarded
// port, then the Version call over mTLS, or in maintenance mode the certificate fingerprint on the
// console. A machined without apid stops at "boot finished".
import { maintenanceFingerprint } from "./maintenance-node.ts";

export type NodeStage =
  | "kernel"
  | "machined"
  | "config"
  | "maintenance"
  | "containerd"
  | "booted"
  | "apid-tls"
  | "maintenance-ready"
  | "api";

/** How far a node got: `api` is the goal; `booted` when this image's machined starts no apid. */
export interface NodeOutcome {
  stage: NodeStage;
  detail: string;
  /** In maintenance mode: the SHA-256 fingerprint of apid's certificate, from the console. */
  fingerprint?: string;
}

export interface NodeProbes {
  /** The serial log so far. */
  serial(): string;
  /** Whether the QEMU process still runs. */
  alive(): boolean;
  /** Completes a TLS handshake with apid (any certificate); false when it cannot. */
  tlsAnswers(): Promise<boolean>;
  /** The node's version tag over mTLS, or throws. */
  version(): Promise<string>;
}

export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export class NodeWaitError extends Error {
  override readonly name = "NodeWaitError";
  constructor(
    readonly code: "Timeout" | "Exited" | "BootFailed",
    readonly stage: NodeStage | "start",
    message: string,
  ) {
    super(message);
  }
}

const SERIAL_STEPS: { stage: NodeStage; pattern: RegExp; message: string }[] = [
  { stage: "kernel", pattern: /Linux version/, message: "kernel booting" },
  { stage: "machined", pattern: /machined: starting/, message: "machined started" },
  {
    stage: "config",
    pattern: /config: (downloaded from \S+|using the config from STATE)/,
    message: "config",
  },
  { stage: "maintenance", pattern: /entering maintenance mode/, message: "no config: maintenance mode" },
  { stage: "containerd", pattern: /service containerd is up/, message: "containerd up" },
  { stage: "booted", pattern: /\[boot\] sequence finished/, message: "boot sequence finished" },
];

const FAILURES = [/Kernel panic/, /\[boot\] sequence failed[^\n]*/, /bronze-init: [^\n]*failed/];

/** A service the node needs for its API that keeps failing to start: no use waiting for the timeout. */
const SERVICE_RESTART =
  /service (containerd|apid|trustd): Waiting \(Failed to start: ([^\n]*?); restarting in \d+ ms \(attempt (\d+)\)\)/g;
export const GIVE_UP_AFTER_ATTEMPTS = 3;

function failingService(serial: string): string | undefined {
  for (const match of serial.matchAll(SERVICE_RESTART)) {
    if (Number(match[3]) >= GIVE_UP_AFTER_ATTEMPTS)
      return `service ${match[1]} failed to start ${match[3]} times: ${match[2]}`;
  }
  return undefined;
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
  clock: WaitClock;
  progress: (stage: NodeStage, message: string) => void;
}

export async function waitForNode(probes: NodeProbes, options: WaitOptions): Promise<NodeOutcome> {
  const start = options.clock.now();
  const seen = new Set<NodeStage>();
  const reach = (stage: NodeStage, message: string) => {
    if (seen.has(stage)) return;
    seen.add(stage);
    options.progress(stage, message);
  };
  let last: NodeStage | "start" = "start";
  let versionError = "";
  let noFingerprint = false;
  while (true) {
    const serial = probes.serial();
    for (const step of SERIAL_STEPS) {
      const match = step.pattern.exec(serial);
      if (match) {
        reach(step.stage, step.stage === "config" ? `config ${match[1]}` : step.message);
        last = step.stage;
      }
    }
    if (/Initramfs unpacking failed/.test(serial))
      throw new NodeWaitError(
        "BootFailed",
        last,
        "boot failed: the initramfs does not fit in the guest's RAM: raise --memory (512 MB runs a control plane; an image built with --initramfs stage1 needs 576 MB)",
      );
    for (const failure of FAILURES) {
      const match = failure.exec(serial);
      if (match) throw new NodeWaitError("BootFailed", last, `boot failed: ${match[0].trim()}`);
    }
    const failing = failingService(serial);
    if (failing !== undefined) throw new NodeWaitError("BootFailed", last, failing);
    const apidInImage = /service apid/.test(serial);
    if (seen.has("machined") && (await probes.tlsAnswers())) {
      reach("apid-tls", "apid answers TLS");
      last = "apid-tls";
      if (seen.has("maintenance")) {
        const fingerprint = maintenanceFingerprint(serial);
        if (fingerprint !== undefined) {
          reach("maintenance-ready", `maintenance mode, fingerprint sha256:${fingerprint}`);
          return {
            stage: "maintenance",
            detail: `maintenance mode, certificate fingerprint sha256:${fingerprint} (apply a config)`,
            fingerprint,
          };
        }
        noFingerprint = true;
      } else {
        try {
          const tag = await probes.version();
          reach("api", `API answers over mTLS (version ${tag})`);
          return { stage: "api", detail: `version ${tag}` };
        } catch (error) {
          versionError = (error as Error).message;
        }
      }
    } else if (seen.has("booted") && !apidInImage) {
      return {
        stage: "booted",
        detail: "boot finished; this image's machined starts no apid, so no API yet",
      };
    }
    if (!probes.alive()) throw new NodeWaitError("Exited", last, `QEMU exited (last step: ${last})`);
    const elapsed = options.clock.now() - start;
    if (elapsed >= options.timeoutMs) {
      const apidState = [...serial.matchAll(/service apid: ([^\r\n]*)/g)].at(-1)?.[1];
      const details = [
        `last step: ${last}`,
        ...(apidState ? [`apid: ${apidState}`] : []),
        ...(versionError ? [`Version: ${versionError}`] : []),
        ...(noFingerprint
          ? ["apid answers in maintenance mode but the console shows no certificate fingerprint"]
          : []),
      ];
      throw new NodeWaitError(
        "Timeout",
        last,
        `not up after ${Math.round(elapsed / 1000)} s (${details.join("; ")})`,
      );
    }
    await options.clock.sleep(options.pollMs ?? 500);
  }
}
