// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac}-style variables are literal text here
import { describe, expect, test } from "bun:test";
import { GRUB_MODULES, grubConfig, grubEarlyConfig, grubWord } from "./grub-config.ts";

describe("grub.cfg", () => {
  test("words GRUB would expand or split are single-quoted", () => {
    expect(grubWord("console=ttyS0")).toBe("console=ttyS0");
    expect(grubWord("bronze.config=http://10.0.0.1:8080/${mac}.yaml")).toBe(
      "'bronze.config=http://10.0.0.1:8080/${mac}.yaml'",
    );
    expect(grubWord("a'b")).toBe(`'a'\\''b'`);
  });

  test("slot A is the default; each entry finds its slot by filesystem UUID and boots its kernel", () => {
    const cfg = grubConfig({
      kernelArgs: ["console=ttyS0", "bronze.platform=metal", "bronze.config=http://x/${uuid}"],
      slotUuids: { A: "aaaa", B: "bbbb" },
      timeoutSeconds: 1,
    });
    expect(cfg).toContain("set default=bronze-a\nset timeout=1\n");
    expect(cfg).toContain("serial --unit=0 --speed=115200");
    const entries = cfg.split("menuentry ").slice(1);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toStartWith("'Bronze (slot A)' --id bronze-a {");
    expect(entries[0]).toContain("search --no-floppy --fs-uuid --set=root aaaa\n");
    expect(entries[0]).toContain(
      "linux /vmlinuz console=ttyS0 bronze.platform=metal 'bronze.config=http://x/${uuid}'\n  initrd /initramfs.zst\n",
    );
    expect(entries[1]).toContain("search --no-floppy --fs-uuid --set=root bbbb\n");
  });

  test("the embedded config finds the EFI partition and reads grub.cfg from it", () => {
    expect(grubEarlyConfig("1234-ABCD")).toBe(
      "search --no-floppy --fs-uuid --set=root 1234-ABCD\nset prefix=($root)/boot/grub\nconfigfile ($root)/boot/grub/grub.cfg\n",
    );
    for (const m of ["linux", "normal", "ext2", "fat", "part_gpt", "search_fs_uuid"])
      expect(GRUB_MODULES as readonly string[]).toContain(m);
  });
});
