export type BootSlot = "A" | "B";

/** One word for GRUB's shell-like parser: single-quoted when it holds anything GRUB would expand. */
export function grubWord(word: string): string {
  return /^[A-Za-z0-9_.,:/=+@%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface GrubConfigOptions {
  readonly kernelArgs: readonly string[];
  /** The filesystem UUIDs of the BOOT-A and BOOT-B partitions (GRUB finds each slot by it). */
  readonly slotUuids: Readonly<Record<BootSlot, string>>;
  readonly timeoutSeconds?: number;
}

/** The META partition's number in the layout (disk-layout.ts): GRUB reads the boot state from it. */
export const META_PARTITION_NUMBER = 5;
/** After a kernel panic (machined exiting is one), reboot after this many seconds: the fallback. */
export const PANIC_REBOOT_SECONDS = 10;

/** The line of grub.cfg that holds the node's kernel arguments (`osctl cluster create --boot disk` rewrites it). */
export const GRUB_ARGS_LINE = /^set bronze_args=(.*)$/m;

/**
 * grub.cfg (on the EFI partition, shared by the BIOS and EFI GRUBs). It picks the slot from the boot
 * state on META (boot-slots.ts): the committed slot by default; a trial slot once, after marking it
 * tried in grubenv (if that write fails, no trial: the committed slot boots). Each entry finds its BOOT
 * filesystem by UUID (a label could be another disk's), loads /vmlinuz and /initramfs.zst from it and
 * tells machined the slot booted (`bronze.slot=`) and whether it is a trial (`bronze.trial=<seq>`).
 * The menu is on the serial port too.
 */
export function grubConfig(options: GrubConfigOptions): string {
  // one GRUB word holding every argument (the kernel gets them as written: no quotes inside)
  const args = grubWord(options.kernelArgs.join(" "));
  const entry = (slot: BootSlot) =>
    [
      `menuentry 'Bronze (slot ${slot})' --id bronze-${slot.toLowerCase()} {`,
      `  search --no-floppy --fs-uuid --set=root ${options.slotUuids[slot]}`,
      `  echo 'Loading Bronze from BOOT-${slot}...'`,
      "  set bronze_this_trial=",
      `  if [ "$bronze_trying" = ${slot.toLowerCase()} ]; then set bronze_this_trial="$bronze_trial_args"; fi`,
      `  linux /vmlinuz $bronze_args bronze.slot=${slot.toLowerCase()} panic=${PANIC_REBOOT_SECONDS} $bronze_this_trial`,
      "  initrd /initramfs.zst",
      "}",
    ].join("\n");
  return [
    "# Bronze: written by the installer. Slot A and slot B, each a BOOT partition with vmlinuz and initramfs.zst.",
    `set timeout=${options.timeoutSeconds ?? 3}`,
    "serial --unit=0 --speed=115200",
    "terminal_input console serial",
    "terminal_output console serial",
    `set bronze_args=${args}`,
    "export bronze_args",
    "# The boot state: two copies on META; the intact one with the higher bronze_seq is current.",
    `regexp --set=1:bronze_disk '^([^,]+),' "$root"`,
    "set m_seq=0",
    "set m_default=a",
    "set m_trial=",
    "for copy in 0 1; do",
    "  unset bronze_seq",
    "  unset bronze_end",
    "  unset bronze_default",
    "  unset bronze_trial",
    `  if load_env --file (\${bronze_disk},gpt${META_PARTITION_NUMBER})\${copy}+1 bronze_seq bronze_default bronze_trial bronze_end; then`,
    `    if [ "$bronze_seq" = "$bronze_end" ]; then`,
    `      if [ "$bronze_seq" -gt "$m_seq" ]; then`,
    `        set m_seq="$bronze_seq"`,
    `        set m_default="$bronze_default"`,
    `        set m_trial="$bronze_trial"`,
    "      fi",
    "    fi",
    "  fi",
    "done",
    `if [ "$m_default" != b ]; then set m_default=a; fi`,
    "set default=bronze-$m_default",
    // GRUB 2.06's fallback takes an entry number only: slot A's entry is the first
    `if [ "$m_default" = b ]; then set fallback=1; else set fallback=0; fi`,
    "set bronze_trying=",
    "set bronze_trial_args=",
    "# A trial (an upgrade, a rollback) boots once: marked tried in grubenv first, or not at all.",
    `if [ "$m_trial" = a -o "$m_trial" = b ]; then`,
    "  unset bronze_tried",
    "  load_env --file $prefix/grubenv bronze_tried",
    `  if [ "$bronze_tried" != "$m_seq" ]; then`,
    `    set bronze_tried="$m_seq"`,
    "    if save_env --file $prefix/grubenv bronze_tried; then",
    "      set default=bronze-$m_trial",
    "      set bronze_trying=$m_trial",
    `      set bronze_trial_args="bronze.trial=$m_seq"`,
    "    fi",
    "  fi",
    "fi",
    "export bronze_trial_args",
    "export bronze_trying",
    entry("A"),
    entry("B"),
    "",
  ].join("\n");
}

/**
 * The filesystem UUID each slot's entry searches for, read back from grub.cfg: what GRUB will look for,
 * so a slot is rewritten with it even when the slot's old filesystem is gone (a power cut mid-write).
 */
export function slotUuidsOf(grubCfg: string): Partial<Record<BootSlot, string>> {
  const out: Partial<Record<BootSlot, string>> = {};
  for (const m of grubCfg.matchAll(
    /menuentry '[^']*' --id bronze-([ab]) \{\n\s*search --no-floppy --fs-uuid --set=root (\S+)\n/g,
  ))
    out[(m[1] as string).toUpperCase() as BootSlot] = m[2] as string;
  return out;
}

/**
 * The configuration embedded in the GRUB images (BIOS core.img and BOOTX64.EFI): find the EFI
 * partition by its FAT volume id and read grub.cfg from it.
 */
export function grubEarlyConfig(efiFsUuid: string): string {
  return [
    `search --no-floppy --fs-uuid --set=root ${efiFsUuid}`,
    "set prefix=($root)/boot/grub",
    "configfile ($root)/boot/grub/grub.cfg",
    "",
  ].join("\n");
}

/** Modules built into both GRUB images: everything grub.cfg uses, so no module directory is needed. */
export const GRUB_MODULES = [
  "part_gpt",
  "fat",
  "ext2",
  "search",
  "search_fs_uuid",
  "normal",
  "configfile",
  "linux",
  "serial",
  "terminal",
  "echo",
  "test",
  "gzio",
  "loadenv",
  "regexp",
] as const;
