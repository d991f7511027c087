// What `cluster create` needs of the host to run QEMU: the emulator itself, and whether KVM can
// accelerate it.
import { closeSync, openSync, readFileSync } from "node:fs";
import { CliError } from "../cli-error.ts";

export const QEMU = "qemu-system-x86_64";

/** Refuses, saying how to install it, when QEMU is not on the PATH. */
export function requireQemu(which: (command: string) => string | null = Bun.which): void {
  if (!which(QEMU))
    throw new CliError("not-found", `${QEMU} is not installed (Debian: apt-get install qemu-system-x86)`);
}

/**
 * KVM only when /dev/kvm opens and the CPU shows VT-x/AMD-V: a /dev/kvm without them (a guest
 * without nested virtualisation) makes `-cpu max` abort on its first MSR write.
 */
export function kvmUsable(): boolean {
  try {
    closeSync(openSync("/dev/kvm", "r+"));
    return /^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}
