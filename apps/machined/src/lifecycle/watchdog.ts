// The kernel watchdog (softdog, loaded running by the compact init, image/src/profiles.ts): machined
// takes it over at once; on a trial boot it feeds it until the new slot is committed, so that a hung
// machined resets the machine and the committed slot boots again; on any other boot it disarms it.
import { closeSync, openSync, writeSync } from "node:fs";

export const WATCHDOG_DEVICE = "/dev/watchdog0";
/** Feeds well inside softdog's 120 s margin (image/src/profiles.ts). */
export const WATCHDOG_FEED_MS = 5_000;

export interface WatchdogFs {
  open(path: string): number;
  write(fd: number, text: string): void;
  close(fd: number): void;
}

const REAL_FS: WatchdogFs = {
  open: (path) => openSync(path, "w"),
  write: (fd, text) => {
    writeSync(fd, text);
  },
  close: (fd) => closeSync(fd),
};

export interface FedWatchdog {
  /** Stops feeding and disarms it (the magic close): the slot is committed. */
  disarm(): void;
  /** Stops feeding and leaves it armed: the node resets within the margin unless it reboots first. */
  abandon(): void;
}

/** Opens the watchdog and feeds it every `everyMs`; throws when there is none to open. */
export function feedWatchdog(
  options: { path?: string; everyMs?: number; fs?: WatchdogFs; log?: (line: string) => void } = {},
): FedWatchdog {
  const fs = options.fs ?? REAL_FS;
  const path = options.path ?? WATCHDOG_DEVICE;
  const fd = fs.open(path);
  const feed = () => {
    try {
      fs.write(fd, "\0");
    } catch (err) {
      options.log?.(`lifecycle: feeding ${path} failed: ${(err as Error).message}`);
    }
  };
  feed();
  const timer = setInterval(feed, options.everyMs ?? WATCHDOG_FEED_MS);
  let open = true;
  return {
    abandon() {
      clearInterval(timer);
    },
    disarm() {
      if (!open) return;
      open = false;
      clearInterval(timer);
      try {
        fs.write(fd, "V"); // the magic close: closing after it stops the timer
      } finally {
        fs.close(fd);
      }
    },
  };
}

/**
 * Disarms a running watchdog (open, the magic V, close). false when there is none (no softdog: the
 * stage1 initramfs, or a kernel without it).
 */
export function disarmWatchdog(options: { path?: string; fs?: WatchdogFs } = {}): boolean {
  const fs = options.fs ?? REAL_FS;
  let fd: number;
  try {
    fd = fs.open(options.path ?? WATCHDOG_DEVICE);
  } catch {
    return false;
  }
  try {
    fs.write(fd, "V");
  } finally {
    fs.close(fd);
  }
  return true;
}
