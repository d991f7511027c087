// `osctl pxe serve`: network boot.
import type { Command } from "commander";
import type { Io } from "../io.ts";
import { loadCommand } from "../load-command.ts";

export function addPxeCommands(program: Command, io: Io): void {
  program
    .command("pxe")
    .description("network boot")
    .command("serve")
    .description("serve the image's assets, an iPXE script per machine and the machine configs over HTTP")
    .requiredOption("--assets <dir>", "the image's artifacts (vmlinuz, initramfs.zst, boot.ipxe)")
    .requiredOption("--configs <dir>", "machine configs: <mac>.yaml, <uuid>.yaml or default.yaml")
    .option("--listen <addr:port>", "address to listen on", "0.0.0.0:8080")
    .option("--base-url <url>", "URL the nodes reach this server at (default: from the Host header)")
    .action(async (options) => {
      const { pxeServe } = await loadCommand("pxe");
      await pxeServe(options, io);
    });
}
