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
    .option(
      "--listen <addr:port>",
      "address to listen on; without an address (:PORT) 127.0.0.1, this machine only",
      "127.0.0.1:8080",
    )
    .option("--base-url <url>", "URL the nodes reach this server at (default: from the Host header)")
    .addHelpText(
      "after",
      "\nThe server hands every machine config, CA keys included, to anyone who can reach it and names a MAC\n" +
        "address (or to anyone at all with a default.yaml). Listen on the boot network's address only, e.g.\n" +
        "--listen 10.0.0.1:8080, on a network where only the machines being installed can reach it.",
    )
    .action(async (options) => {
      const { pxeServe } = await loadCommand("pxe");
      await pxeServe(options, io);
    });
}
