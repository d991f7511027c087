import { describe, expect, test } from "bun:test";
import { checkHardening, describeRefusal, HardeningError } from "./hardening-check.ts";
import { parseKernelArgs } from "./kernel-args.ts";

describe("checkHardening", () => {
  test("passes with slab_nomerge and pti=on", () => {
    expect(checkHardening(parseKernelArgs("console=ttyS0 slab_nomerge pti=on"), "metal")).toEqual({
      status: "ok",
    });
  });

  test("names each missing argument and why", () => {
    const result = checkHardening(parseKernelArgs("console=ttyS0"), "qemu");
    if (result.status !== "refused") throw new Error(`expected refused, got ${result.status}`);
    expect(result.problems.map((p) => p.key)).toEqual(["slab_nomerge", "pti"]);
    expect(result.problems[0]?.message).toContain("missing kernel argument slab_nomerge");
    expect(result.problems[0]?.message).toContain("slab cache");
    expect(result.problems[1]?.message).toContain("missing kernel argument pti=on");
    expect(result.problems[1]?.message).toContain("Meltdown");
    const lines = describeRefusal(result.problems);
    expect(lines[0]).toContain("refusing to boot");
    expect(lines.at(-1)).toContain("slab_nomerge pti=on");
    expect(new HardeningError(result.problems).code).toBe("HardeningRequired");
  });

  test("a wrong value is reported with what was found", () => {
    const result = checkHardening(parseKernelArgs("slab_nomerge pti=off"), "metal");
    if (result.status !== "refused") throw new Error("expected refused");
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.found).toBe("off");
    expect(result.problems[0]?.message).toContain("pti=off must be pti=on");
  });

  test("the last of repeated values counts, as for the kernel", () => {
    expect(checkHardening(parseKernelArgs("slab_nomerge pti=off pti=on"), "metal").status).toBe("ok");
    expect(checkHardening(parseKernelArgs("slab_nomerge pti=on pti=auto"), "metal").status).toBe("refused");
  });

  test("container mode skips the check, saying why", () => {
    const result = checkHardening(parseKernelArgs(""), "container");
    expect(result.status).toBe("skipped");
    if (result.status === "skipped") expect(result.reason).toContain("host");
  });
});
