import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Asm, ELF_BASE } from "./x86-asm.ts";

const code = (asm: Asm) => [...asm.elf().subarray(120)];

describe("x86-asm encodings (Intel SDM forms)", () => {
  test("lea reg, [rip+disp32] for low and REX registers", () => {
    const bytes = code(
      new Asm().label("here").leaRip("rdi", "here").leaRip("r10", "here").leaRip("r8", "here"),
    );
    expect(bytes).toEqual([
      0x48, 0x8d, 0x3d, 0xf9, 0xff, 0xff, 0xff, 0x4c, 0x8d, 0x15, 0xf2, 0xff, 0xff, 0xff, 0x4c, 0x8d, 0x05,
      0xeb, 0xff, 0xff, 0xff,
    ]);
  });

  test("mov imm32, mov reg/reg, xor, syscall, envp", () => {
    expect(code(new Asm().movImm("rax", 165).movImm("r10", 8192))).toEqual([
      0xb8, 0xa5, 0, 0, 0, 0x41, 0xba, 0, 0x20, 0, 0,
    ]);
    expect(code(new Asm().movReg("r12", "rax").movReg("rdi", "r12").movReg("rdx", "r12"))).toEqual([
      0x49, 0x89, 0xc4, 0x4c, 0x89, 0xe7, 0x4c, 0x89, 0xe2,
    ]);
    expect(code(new Asm().zero("rdx").zero("r10").zero("r8"))).toEqual([
      0x31, 0xd2, 0x45, 0x31, 0xd2, 0x45, 0x31, 0xc0,
    ]);
    expect(code(new Asm().syscall().envpToRdx())).toEqual([
      0x0f, 0x05, 0x48, 0x8b, 0x04, 0x24, 0x48, 0x8d, 0x54, 0xc4, 0x10,
    ]);
  });

  test("conditional and plain jumps are rel32 from the next instruction", () => {
    const bytes = code(new Asm().jumpIfNegative("end").jumpIfRaxEquals(-17, "end").jump("end").label("end"));
    expect(bytes).toEqual([
      0x48,
      0x85,
      0xc0,
      0x0f,
      0x88,
      0x0f,
      0,
      0,
      0, // test rax,rax; js +15
      0x48,
      0x83,
      0xf8,
      0xef,
      0x0f,
      0x84,
      0x05,
      0,
      0,
      0, // cmp rax,-17; je +5
      0xe9,
      0,
      0,
      0,
      0, // jmp +0
    ]);
  });

  test("data: strings and an aligned, NULL-terminated pointer array of absolute addresses", () => {
    const elf = new Asm().syscall().string("a", "hi").pointers("argv", ["a", "a"]).elf();
    const view = new DataView(elf.buffer);
    expect(new TextDecoder().decode(elf.subarray(122, 125))).toBe("hi\0");
    expect(view.getBigUint64(128, true)).toBe(BigInt(ELF_BASE + 122));
    expect(view.getBigUint64(136, true)).toBe(BigInt(ELF_BASE + 122));
    expect(view.getBigUint64(144, true)).toBe(0n);
    expect(elf.length).toBe(152);
    expect(Number(view.getBigUint64(96, true))).toBe(152);
  });

  test("errors: undefined and duplicate labels, oversized immediates", () => {
    expect(() => new Asm().jump("nowhere").elf()).toThrow("undefined label nowhere");
    expect(() => new Asm().label("x").label("x")).toThrow("label x defined twice");
    expect(() => new Asm().jumpIfRaxEquals(300, "x")).toThrow("does not fit in 8 bits");
  });

  describe("runs", () => {
    const dir = mkdtempSync(join(tmpdir(), "bronze-asm-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("write(1, ...) then exit_group(3)", async () => {
      const asm = new Asm()
        .movImm("rdi", 1)
        .leaRip("rsi", "msg")
        .movImm("rdx", 6)
        .movImm("rax", 1)
        .syscall()
        .movImm("rdi", 3)
        .movImm("rax", 231)
        .syscall()
        .string("msg", "hello\n");
      mkdirSync(dir, { recursive: true });
      const path = join(dir, "prog");
      writeFileSync(path, asm.elf());
      chmodSync(path, 0o755);
      const proc = Bun.spawn([path], { stdout: "pipe" });
      expect(await new Response(proc.stdout).text()).toBe("hello\n");
      expect(await proc.exited).toBe(3);
    });
  });
});
