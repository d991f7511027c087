// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac}-style variables are literal text here
import { describe, expect, test } from "bun:test";
import { GRUB_MODULES, grubConfig, grubEarlyConfig, grubWord, slotUuidsOf } from "./grub-config.ts";

describe("grub.cfg", () => {
  test("words GRUB would expand or split are single-quoted", () => {
    expect(grubWord("console=ttyS0")).toBe("console=ttyS0");
    expect(grubWord("bronze.config=http://10.0.0.1:8080/${mac}.yaml")).toBe(
      "'bronze.config=http://10.0.0.1:8080/${mac}.yaml'",
    );
    expect(grubWord("a'b")).toBe(`'a'\\''b'`);
  });

  test("the slot comes from META's boot state; each entry finds its slot by filesystem UUID and says which it is", () => {
    const cfg = grubConfig({
      kernelArgs: ["console=ttyS0", "bronze.platform=metal", "bronze.config=http://x/${uuid}"],
      slotUuids: { A: "aaaa", B: "bbbb" },
      timeoutSeconds: 1,
    });
    expect(cfg).toContain("set timeout=1\n");
    expect(cfg).toContain("serial --unit=0 --speed=115200");
    // one GRUB word for every argument: ${uuid} stays literal (machined substitutes it)
    expect(cfg).toContain(
      "set bronze_args='console=ttyS0 bronze.platform=metal bronze.config=http://x/${uuid}'\n",
    );
    // both copies of the record on META (partition 5), by block list; the intact, newer one wins
    expect(cfg).toContain(
      "load_env --file (${bronze_disk},gpt5)${copy}+1 bronze_seq bronze_default bronze_trial bronze_end",
    );
    expect(cfg).toContain('if [ "$bronze_seq" = "$bronze_end" ]; then');
    // a trial boots only once GRUB has recorded it in grubenv; the committed slot is the fallback
    expect(cfg).toMatch(
      /if save_env --file \$prefix\/grubenv bronze_tried; then\n\s+set default=bronze-\$m_trial/,
    );
    expect(cfg).toContain('if [ "$m_default" = b ]; then set fallback=1; else set fallback=0; fi');
    const entries = cfg.split("menuentry ").slice(1);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toStartWith("'Bronze (slot A)' --id bronze-a {");
    expect(entries[0]).toContain("search --no-floppy --fs-uuid --set=root aaaa\n");
    expect(entries[0]).toContain(
      "linux /vmlinuz $bronze_args bronze.slot=a panic=10 $bronze_this_trial\n  initrd /initramfs.zst\n",
    );
    expect(entries[0]).toContain(
      'if [ "$bronze_trying" = a ]; then set bronze_this_trial="$bronze_trial_args"; fi',
    );
    expect(entries[1]).toContain("search --no-floppy --fs-uuid --set=root bbbb\n");
    expect(entries[1]).toContain("bronze.slot=b");
    // what each entry searches for, read back
    expect(slotUuidsOf(cfg)).toEqual({ A: "aaaa", B: "bbbb" });
    expect(slotUuidsOf("set default=0\n")).toEqual({});
  });

  test("the embedded config finds the EFI partition and reads grub.cfg from it", () => {
    expect(grubEarlyConfig("1234-ABCD")).toBe(
      "search --no-floppy --fs-uuid --set=root 1234-ABCD\nset prefix=($root)/boot/grub\nconfigfile ($root)/boot/grub/grub.cfg\n",
    );
    for (const m of ["linux", "normal", "ext2", "fat", "part_gpt", "search_fs_uuid", "loadenv", "regexp"])
      expect(GRUB_MODULES as readonly string[]).toContain(m);
  });
});
