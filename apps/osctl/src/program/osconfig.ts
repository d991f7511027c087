// `osctl config …`: the client config (osconfig): contexts, endpoints, nodes, and `config new`.
import type { Command } from "commander";
import { parseDuration } from "../client/node-flags.ts";
import type { Io } from "../io.ts";
import { loadCommand } from "../load-command.ts";
import { collect } from "../options.ts";
import { configTarget, nodeGlobals, outputFlag } from "./globals.ts";

export function addOsconfigCommands(program: Command, io: Io): void {
  const config = program
    .command("config")
    .description("manage the client config (osconfig): contexts, endpoints, nodes");

  config
    .command("contexts")
    .description("list the contexts")
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { configContexts } = await loadCommand("osconfig");
      configContexts(configTarget(cmd, io), options.output, io);
    });
  config
    .command("context")
    .description("switch the current context")
    .argument("<name>", "context name")
    .action(async (name: string, _options, cmd: Command) => {
      const { configUseContext } = await loadCommand("osconfig");
      configUseContext(configTarget(cmd, io), name, io);
    });
  config
    .command("endpoint")
    .alias("endpoints")
    .description("set the endpoints of the current context")
    .argument("[endpoints...]", "endpoint addresses")
    .action(async (values: string[], _options, cmd: Command) => {
      const { configEndpoints } = await loadCommand("osconfig");
      configEndpoints(configTarget(cmd, io), values, io);
    });
  config
    .command("node")
    .alias("nodes")
    .description("set the default nodes of the current context")
    .argument("[nodes...]", "node addresses")
    .action(async (values: string[], _options, cmd: Command) => {
      const { configNodes } = await loadCommand("osconfig");
      configNodes(configTarget(cmd, io), values, io);
    });
  config
    .command("merge")
    .description("merge the contexts of another osconfig into this one (renaming clashes)")
    .argument("<file>", "osconfig to merge")
    .action(async (file: string, _options, cmd: Command) => {
      const { configMerge } = await loadCommand("osconfig");
      configMerge(configTarget(cmd, io), file, io);
    });
  config
    .command("remove")
    .description("remove a context")
    .argument("<name>", "context name")
    .action(async (name: string, _options, cmd: Command) => {
      const { configRemove } = await loadCommand("osconfig");
      configRemove(configTarget(cmd, io), name, io);
    });
  config
    .command("new")
    .description(
      "ask the node for a new client certificate with a role; write an osconfig with it (control planes only)",
    )
    .argument("<output-file>", "osconfig file to write")
    .option(
      "--roles <role>",
      "role of the new certificate: os:admin, os:operator or os:reader",
      collect(true),
      [],
    )
    .option(
      "--crt-ttl <duration>",
      "how long the certificate is valid, 1m to 87600h (default 87600h)",
      parseDuration("--crt-ttl"),
      87_600 * 3_600_000, // Talos's default; the command tree loads no command module eagerly
    )
    .option("--force", "overwrite an existing file", false)
    .action(async (file: string, options, cmd: Command) => {
      const { configNew } = await loadCommand("osconfig-new");
      await configNew(file, options, nodeGlobals(cmd, io), io);
    });
  config
    .command("info")
    .description("show the current context: endpoints, nodes, roles and certificate expiry")
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { configInfo } = await loadCommand("osconfig");
      configInfo(configTarget(cmd, io), options.output, io);
    });
}
