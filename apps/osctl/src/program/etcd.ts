// `osctl bootstrap` and `osctl etcd …`: a control plane's etcd through its API.
import type { Command } from "commander";
import type { Io } from "../io.ts";
import { loadCommand } from "../load-command.ts";
import { type ExitCodeSink, nodeGlobals, outputFlag } from "./globals.ts";

export function addEtcdCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("bootstrap")
    .description("found the cluster's etcd on one control plane (once per cluster); the others join it")
    .option(
      "--recover-from <snapshot>",
      "found it on a snapshot's data (osctl etcd snapshot, etcdctl snapshot save): after losing quorum",
    )
    .action(async (options: { recoverFrom?: string }, cmd: Command) => {
      const { bootstrap } = await loadCommand("etcd");
      setExitCode(await bootstrap(options, nodeGlobals(cmd, io), io));
    });
  const etcd = program.command("etcd").description("the control planes' etcd cluster");
  etcd
    .command("members")
    .description("list the etcd cluster's members")
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { members } = await loadCommand("etcd");
      setExitCode(await members(options, nodeGlobals(cmd, io), io));
    });
  etcd
    .command("status")
    .description("each node's etcd: how it started or what it waits for, leader, database size, storage")
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { status } = await loadCommand("etcd");
      setExitCode(await status(options, nodeGlobals(cmd, io), io));
    });
  etcd
    .command("snapshot <path>")
    .description("stream a consistent snapshot of the node's etcd database into a file")
    .action(async (path: string, _options, cmd: Command) => {
      const { snapshot } = await loadCommand("etcd");
      setExitCode(await snapshot(path, nodeGlobals(cmd, io), io));
    });
  etcd
    .command("leave")
    .description("remove the node's member from the cluster and stop its etcd")
    .option("--force", "even when the cluster would lose its quorum", false)
    .action(async (options, cmd: Command) => {
      const { leave } = await loadCommand("etcd");
      setExitCode(await leave(options, nodeGlobals(cmd, io), io));
    });
  etcd
    .command("remove-member <member>")
    .description("remove another member, by id (hex) or hostname (a node that is gone)")
    .option("--force", "even when the cluster would lose its quorum", false)
    .action(async (member: string, options, cmd: Command) => {
      const { removeMember } = await loadCommand("etcd");
      setExitCode(await removeMember(member, options, nodeGlobals(cmd, io), io));
    });
  etcd
    .command("forfeit-leadership")
    .description("hand the leadership to another member when the node's member leads")
    .action(async (_options, cmd: Command) => {
      const { forfeitLeadership } = await loadCommand("etcd");
      setExitCode(await forfeitLeadership(nodeGlobals(cmd, io), io));
    });
  etcd
    .command("defrag")
    .description("defragment the node's etcd database (frees the space compaction left)")
    .action(async (_options, cmd: Command) => {
      const { defrag } = await loadCommand("etcd");
      setExitCode(await defrag(nodeGlobals(cmd, io), io));
    });
  const alarm = etcd.command("alarm").description("the etcd cluster's alarms (NOSPACE, CORRUPT)");
  for (const action of ["list", "disarm"] as const)
    alarm
      .command(action)
      .description(action === "list" ? "list the alarms" : "disarm every alarm")
      .option(...outputFlag)
      .action(async (options, cmd: Command) => {
        const { alarms } = await loadCommand("etcd");
        setExitCode(await alarms(action, options, nodeGlobals(cmd, io), io));
      });
}
