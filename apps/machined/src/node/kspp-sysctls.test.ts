import { describe, expect, test } from "bun:test";
import { FakeSys } from "../testing/fake-sys.ts";
import { applySysctls, KSPP_SYSCTLS, mergeSysctls, NODE_SYSCTLS } from "./kspp-sysctls.ts";

describe("KSPP sysctls", () => {
  test("hold Talos's hardening values", () => {
    expect(KSPP_SYSCTLS["kernel.kptr_restrict"]).toBe("2");
    expect(KSPP_SYSCTLS["kernel.dmesg_restrict"]).toBe("1");
    expect(KSPP_SYSCTLS["kernel.perf_event_paranoid"]).toBe("3");
    expect(KSPP_SYSCTLS["kernel.yama.ptrace_scope"]).toBe("2");
    expect(KSPP_SYSCTLS["user.max_user_namespaces"]).toBe("0");
    expect(KSPP_SYSCTLS["net.core.bpf_jit_harden"]).toBe("2");
    expect(KSPP_SYSCTLS["kernel.unprivileged_bpf_disabled"]).toBe("1");
    expect(NODE_SYSCTLS["net.ipv4.ip_forward"]).toBe("1");
  });
});

describe("mergeSysctls", () => {
  test("the config wins over a default and adds its own; slashes become dots", () => {
    const merged = mergeSysctls(
      { "user.max_user_namespaces": "0", "kernel.panic": "10" },
      { "user/max_user_namespaces": "11255", "vm.max_map_count": "262144" },
    );
    expect(merged).toEqual([
      { name: "user.max_user_namespaces", value: "11255", source: "config" },
      { name: "kernel.panic", value: "10", source: "default" },
      { name: "vm.max_map_count", value: "262144", source: "config" },
    ]);
  });
});

describe("applySysctls", () => {
  test("writes every setting through Sys; a failure is reported with its name and is not fatal", () => {
    const sys = new FakeSys()
      .defineSysctl("kernel.kptr_restrict", "0")
      .defineSysctl("net.ipv4.ip_forward", "0")
      .defineSysctl("vm.mmap_rnd_bits", "28");
    sys.failNext("writeSysctl", "EINVAL", (args) => args[0] === "vm.mmap_rnd_bits");
    const lines: string[] = [];
    const report = applySysctls(
      sys,
      mergeSysctls(
        { "kernel.kptr_restrict": "2", "vm.mmap_rnd_bits": "32", "dev.tty.legacy_tiocsti": "0" },
        { "net.ipv4.ip_forward": "1" },
      ),
      (l) => lines.push(l),
    );
    expect(sys.callsOf("writeSysctl")).toEqual([
      ["kernel.kptr_restrict", "2"],
      ["vm.mmap_rnd_bits", "32"],
      ["dev.tty.legacy_tiocsti", "0"],
      ["net.ipv4.ip_forward", "1"],
    ]);
    expect(sys.readSysctl("kernel.kptr_restrict")).toBe("2");
    expect(sys.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(report.applied.map((s) => s.name)).toEqual(["kernel.kptr_restrict", "net.ipv4.ip_forward"]);
    expect(report.failed.map((f) => [f.name, f.error.includes("EINVAL")])).toEqual([
      ["vm.mmap_rnd_bits", true],
      ["dev.tty.legacy_tiocsti", false],
    ]);
    expect(report.failed[1]?.error).toContain("ENOENT");
    expect(lines.some((l) => l.startsWith("sysctl vm.mmap_rnd_bits=32 (default) not applied"))).toBe(true);
    expect(lines.at(-1)).toBe("sysctls: 2 applied, 2 failed");
  });
});
