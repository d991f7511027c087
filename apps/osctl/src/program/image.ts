// `osctl image install`: writing Bronze to a disk.
import type { Command } from "commander";
import type { Io } from "../io.ts";
import { loadCommand } from "../load-command.ts";
import { collect } from "../options.ts";

export function addImageCommands(program: Command, io: Io): void {
  program
    .command("image")
    .description("write Bronze to disks")
    .command("install")
    .description("write Bronze to a disk: partitions, boot slot A, GRUB (BIOS and EFI), kernel arguments")
    .requiredOption("--disk <device>", "the whole disk to write, e.g. /dev/sdb (everything on it is lost)")
    .option("--platform <platform>", "metal or qemu (bronze.platform=)", "metal")
    .option("--config-url <url>", "where the node downloads its machine config (bronze.config=)")
    .option("--wipe", "erase a disk that holds partitions or a filesystem", false)
    .option("--assets <dir>", "the image's artifacts (vmlinuz, initramfs.zst, cmdline)", "_out")
    .option("--extra-kernel-arg <arg>", "kernel argument added last (repeatable)", collect(false), [])
    .action(async (options) => {
      const { imageInstall } = await loadCommand("image");
      await imageInstall(options, io);
    });
}
