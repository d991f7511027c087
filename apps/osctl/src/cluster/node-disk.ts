// `cluster create --boot disk`: each node boots its own copy of the image's disk.raw through SeaBIOS
// and GRUB, with STATE and EPHEMERAL on it (the config persists across reboots). disk.raw's GRUB
// config carries the image's kernel arguments only; a node needs its own (the config URL, its
// hostname, and a final console=ttyS0 so machined's console reaches the serial log), so the copy's
// grub.cfg, on the FAT EFI partition, is rewritten with mtools: no root, no loop device, no NBD.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { GRUB_ARGS_LINE, GRUB_CFG_PATH, grubWord } from "@bronze/image";
import { CliError } from "../cli-error.ts";
import type { Io } from "../io.ts";
import type { ClusterDirs } from "./cluster-dir.ts";
import { type ClusterPlan, nodeCmdline } from "./cluster-plan.ts";

/** Runs a tool to completion and returns its stdout (`runTool` of @bronze/image). */
export type RunTool = (
  argv: readonly string[],
  options?: { env?: Readonly<Record<string, string>>; input?: string },
) => Promise<string>;

export class NodeDiskError extends Error {
  override readonly name = "NodeDiskError";
  constructor(
    readonly code: "BadImage" | "ToolFailed",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const SECTOR = 512;
/** The protective MBR, the GPT header and 128 partition entries of 128 bytes. */
export const GPT_BYTES = SECTOR * 34;

export interface GptPartition {
  name: string;
  /** Byte offset and size in the disk. */
  offset: number;
  size: number;
}

/** The partitions of a GPT disk, from its first 34 sectors (`source` names the disk in errors). */
export function gptPartitions(head: Uint8Array, source: string): GptPartition[] {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (buf.length < GPT_BYTES || buf.toString("latin1", SECTOR, SECTOR + 8) !== "EFI PART")
    throw new NodeDiskError("BadImage", `${source}: no GPT partition table (not a Bronze disk image?)`);
  const entriesLba = Number(buf.readBigUInt64LE(SECTOR + 72));
  const count = buf.readUInt32LE(SECTOR + 80);
  const entrySize = buf.readUInt32LE(SECTOR + 84);
  const partitions: GptPartition[] = [];
  for (let i = 0; i < count; i++) {
    const at = entriesLba * SECTOR + i * entrySize;
    if (at + 128 > buf.length) break;
    if (buf.subarray(at, at + 16).every((b) => b === 0)) continue; // unused entry
    const first = Number(buf.readBigUInt64LE(at + 32));
    const last = Number(buf.readBigUInt64LE(at + 40));
    const name = buf.toString("utf16le", at + 56, at + 128).replace(/\0.*$/s, "");
    partitions.push({ name, offset: first * SECTOR, size: (last - first + 1) * SECTOR });
  }
  return partitions;
}

/** A GRUB word's text, single quotes removed. */
function unquote(word: string): string {
  return [...word.matchAll(/'([^']*)'|([^'\s]+)/g)].map((m) => m[1] ?? m[2] ?? "").join("");
}

/**
 * grub.cfg with its kernel arguments (`set bronze_args=...`, which both slots' entries boot with)
 * replaced by `cmdline(ARGS)`. Throws when there is no such line.
 */
export function nodeGrubConfig(grubCfg: string, cmdline: (imageArgs: string) => string): string {
  if (!GRUB_ARGS_LINE.test(grubCfg))
    throw new NodeDiskError(
      "BadImage",
      `${GRUB_CFG_PATH} has no "set bronze_args=" line to give the node's arguments`,
    );
  return grubCfg.replace(GRUB_ARGS_LINE, (_line, value: string) => {
    const args = cmdline(unquote(value).trim().split(/\s+/).join(" "));
    return `set bronze_args=${grubWord(args.trim().split(/\s+/).join(" "))}`;
  });
}

export interface NodeDiskOptions {
  /** The image's disk.raw. */
  source: string;
  /** The node's copy. */
  target: string;
  /** The node's kernel command line, from the image's. */
  cmdline: (imageArgs: string) => string;
  run: RunTool;
}

/** Copies disk.raw (sparse) and gives the copy the node's kernel arguments. */
export async function prepareNodeDisk(options: NodeDiskOptions): Promise<void> {
  const head = new Uint8Array(await Bun.file(options.source).slice(0, GPT_BYTES).arrayBuffer());
  const efi = gptPartitions(head, options.source).find((p) => p.name === "EFI");
  if (efi === undefined) throw new NodeDiskError("BadImage", `${options.source}: no EFI partition`);
  const step = async (what: string, argv: string[], input?: string) => {
    try {
      return await options.run(argv, {
        env: { MTOOLS_SKIP_CHECK: "1" },
        ...(input !== undefined ? { input } : {}),
      });
    } catch (cause) {
      throw new NodeDiskError("ToolFailed", `${what}: ${(cause as Error).message}`, { cause });
    }
  };
  await step(`copying ${options.source}`, ["cp", "--sparse=always", options.source, options.target]);
  const fat = `${options.target}@@${efi.offset}`;
  const current = await step(`reading ${GRUB_CFG_PATH}`, [
    "mcopy",
    "-n",
    "-i",
    fat,
    `::/${GRUB_CFG_PATH}`,
    "-",
  ]);
  const updated = nodeGrubConfig(current, options.cmdline);
  await step(`writing ${GRUB_CFG_PATH}`, ["mcopy", "-o", "-i", fat, "-", `::/${GRUB_CFG_PATH}`], updated);
}

export interface NodeDisksInput {
  plan: ClusterPlan;
  dirs: ClusterDirs;
  /** The image's disk.raw. */
  source: string;
  serverPort: number;
  /** false (`--no-config`): no `bronze.config=` in the nodes' kernel arguments. */
  withConfig: boolean;
  run: RunTool;
}

/**
 * Every node's disk (`--boot disk`), made before any process starts so that a failure leaves no
 * process and no context behind. Returns each node's disk by node name.
 */
export async function prepareNodeDisks(input: NodeDisksInput, io: Io): Promise<Map<string, string>> {
  const disks = new Map<string, string>();
  for (const node of input.plan.nodes) {
    const nodeDir = join(input.dirs.dir, node.name);
    mkdirSync(nodeDir, { recursive: true });
    const disk = join(nodeDir, "disk.raw");
    try {
      await prepareNodeDisk({
        source: input.source,
        target: disk,
        cmdline: (image) => nodeCmdline(image, input.withConfig ? input.serverPort : undefined, node),
        run: input.run,
      });
    } catch (error) {
      if (error instanceof NodeDiskError)
        throw new CliError(error.code === "BadImage" ? "invalid-input" : "failed", error.message);
      throw error;
    }
    io.stdout(`${node.name}: disk ${disk} (a copy of disk.raw; GRUB boots it with the node's arguments)\n`);
    disks.set(node.name, disk);
  }
  return disks;
}
