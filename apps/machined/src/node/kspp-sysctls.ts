import type { Sys } from "../sys/sys.ts";

/**
 * Kernel self-protection sysctls, after Talos's KSPP list (pkg/kernel/kspp). Differences: Bronze never
 * kexecs (reboots go through reboot(2)), so kexec loading is disabled for good; and mmap ASLR gets the
 * most bits x86-64 allows. `user.max_user_namespaces=0` is Talos's default too: a config that runs pods
 * with user namespaces raises it in machine.sysctls (the config wins).
 */
export const KSPP_SYSCTLS: Readonly<Record<string, string>> = {
  "dev.tty.ldisc_autoload": "0",
  "dev.tty.legacy_tiocsti": "0",
  "fs.protected_symlinks": "1",
  "fs.protected_hardlinks": "1",
  "fs.protected_fifos": "2",
  "fs.protected_regular": "2",
  "fs.suid_dumpable": "0",
  "kernel.kptr_restrict": "2",
  "kernel.dmesg_restrict": "1",
  "kernel.perf_event_paranoid": "3",
  "kernel.randomize_va_space": "2",
  // 3 would break pods with user namespaces (Talos keeps 2 for the same reason).
  "kernel.yama.ptrace_scope": "2",
  "kernel.kexec_load_disabled": "1",
  "user.max_user_namespaces": "0",
  "kernel.unprivileged_bpf_disabled": "1",
  "net.core.bpf_jit_harden": "2",
  "vm.mmap_rnd_bits": "32",
};

/** What a Kubernetes node needs, after Talos's default kernel params (bridge ones need br_netfilter). */
export const NODE_SYSCTLS: Readonly<Record<string, string>> = {
  "net.ipv4.ip_forward": "1",
  "net.ipv4.icmp_ignore_bogus_error_responses": "1",
  "net.ipv4.icmp_echo_ignore_broadcasts": "1",
  "net.ipv4.tcp_keepalive_time": "600",
  "net.ipv4.tcp_keepalive_intvl": "60",
  "kernel.panic": "10",
  "kernel.pid_max": "262144",
  "vm.overcommit_memory": "1",
  "fs.inotify.max_user_instances": "8192",
  "fs.aio-max-nr": "1048576",
};

export interface SysctlSetting {
  readonly name: string;
  readonly value: string;
  readonly source: "default" | "config";
}

/** Normalises `net/ipv4/ip_forward` to `net.ipv4.ip_forward`. */
function normalise(name: string): string {
  return name.replaceAll("/", ".");
}

/** The defaults, then the config's sysctls (a config value replaces a default of the same name). */
export function mergeSysctls(
  defaults: Readonly<Record<string, string>>,
  config: Readonly<Record<string, string>> | undefined,
): SysctlSetting[] {
  const merged = new Map<string, SysctlSetting>();
  for (const [name, value] of Object.entries(defaults)) {
    merged.set(normalise(name), { name: normalise(name), value, source: "default" });
  }
  for (const [name, value] of Object.entries(config ?? {})) {
    merged.set(normalise(name), { name: normalise(name), value, source: "config" });
  }
  return [...merged.values()];
}

export interface SysctlFailure {
  readonly name: string;
  readonly value: string;
  readonly source: SysctlSetting["source"];
  readonly error: string;
}

export interface SysctlReport {
  readonly applied: readonly SysctlSetting[];
  readonly failed: readonly SysctlFailure[];
}

/** Writes each sysctl; a failure is logged with its name and kept in the report, never thrown. */
export function applySysctls(
  sys: Pick<Sys, "writeSysctl">,
  settings: readonly SysctlSetting[],
  log: (line: string) => void,
): SysctlReport {
  const applied: SysctlSetting[] = [];
  const failed: SysctlFailure[] = [];
  for (const s of settings) {
    try {
      sys.writeSysctl(s.name, s.value);
      applied.push(s);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      failed.push({ ...s, error });
      log(`sysctl ${s.name}=${s.value} (${s.source}) not applied: ${error}`);
    }
  }
  log(`sysctls: ${applied.length} applied, ${failed.length} failed`);
  return { applied, failed };
}
