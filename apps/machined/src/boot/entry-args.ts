import { basename } from "node:path";
import { PLATFORMS, type Platform } from "../node/kernel-args.ts";

/** The programs of the multi-call binary (docs/design.md §1). */
export type Applet = "machined" | "stage1" | "apid" | "trustd";

const BY_NAME: Readonly<Record<string, Applet>> = {
  init: "machined",
  machined: "machined",
  stage1: "stage1",
  apid: "apid",
  trustd: "trustd",
};

/**
 * Which program to be, from the name it was started as: `/init` (the initramfs's) is stage 1,
 * `/sbin/init`, `init` and `machined` are machined, `stage1`, `apid`, `trustd` themselves. When the
 * binary runs as `bun main.ts`, the script's name decides, and machined is the default.
 */
export function resolveApplet(argv0: string, argv1: string | undefined): Applet {
  if (argv0 === "/init") return "stage1";
  const first = BY_NAME[basename(argv0)];
  if (first !== undefined) return first;
  if (argv1 !== undefined) {
    const second = BY_NAME[basename(argv1).replace(/\.(ts|js)$/, "")];
    if (second !== undefined) return second;
  }
  return "machined";
}

export interface MachinedFlags {
  readonly platform?: Platform;
  /** Container mode's sandbox directory. */
  readonly root?: string;
  /** Kernel arguments instead of /proc/cmdline. */
  readonly cmdline?: string;
  /** A config file (container mode). */
  readonly config?: string;
  /** A config URL (container mode), like bronze.config=. */
  readonly configUrl?: string;
  /** The multi-call binary apid and trustd run from (container mode; a node uses its own). */
  readonly nodeBinary?: string;
  /** apid's and trustd's TCP ports (container mode; default 50000 and 50001). */
  readonly apidPort?: number;
  /**
   * Container mode: the port other nodes' apids listen on, when nodes on one host cannot share one
   * (apid forwards calls only there; default: this node's apid port, as on a real cluster).
   */
  readonly apidNodePort?: number;
  readonly trustdPort?: number;
}

export class EntryArgsError extends Error {
  override readonly name = "EntryArgsError";
  readonly code = "BadArguments";
}

const USAGE =
  "usage: machined [--platform metal|qemu|container] [--root DIR] [--cmdline ARGS] [--config FILE | --config-url URL] [--node-binary PATH] [--apid-port N] [--apid-node-port N] [--trustd-port N]";

function port(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new EntryArgsError(`--${flag} must be a TCP port, 1 to 65535 (got ${JSON.stringify(value)})`);
  return n;
}

const isUrl = (value: string) => /^https?:\/\//.test(value);

/** Parses machined's own flags (`--flag value` or `--flag=value`). */
export function parseMachinedFlags(argv: readonly string[]): MachinedFlags {
  const flags: Record<string, string> = {};
  const known = [
    "platform",
    "root",
    "cmdline",
    "config",
    "config-url",
    "node-binary",
    "apid-port",
    "apid-node-port",
    "trustd-port",
  ];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--"))
      throw new EntryArgsError(`unexpected argument ${JSON.stringify(arg)}; ${USAGE}`);
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (!known.includes(name)) throw new EntryArgsError(`unknown flag --${name}; ${USAGE}`);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new EntryArgsError(`--${name} needs a value; ${USAGE}`);
    if (name in flags) throw new EntryArgsError(`--${name} is given twice`);
    flags[name] = value;
  }
  const platform = flags.platform;
  if (platform !== undefined && !(PLATFORMS as readonly string[]).includes(platform)) {
    throw new EntryArgsError(
      `--platform must be one of ${PLATFORMS.join(", ")} (got ${JSON.stringify(platform)})`,
    );
  }
  if (flags.config !== undefined && flags["config-url"] !== undefined) {
    throw new EntryArgsError("give --config or --config-url, not both");
  }
  const apidPort = port("apid-port", flags["apid-port"]);
  const trustdPort = port("trustd-port", flags["trustd-port"]);
  const apidNodePort = port("apid-node-port", flags["apid-node-port"]);
  return {
    ...(platform !== undefined ? { platform: platform as Platform } : {}),
    ...(flags["node-binary"] !== undefined ? { nodeBinary: flags["node-binary"] } : {}),
    ...(apidPort !== undefined ? { apidPort } : {}),
    ...(apidNodePort !== undefined ? { apidNodePort } : {}),
    ...(trustdPort !== undefined ? { trustdPort } : {}),
    ...(flags.root !== undefined ? { root: flags.root } : {}),
    ...(flags.cmdline !== undefined ? { cmdline: flags.cmdline } : {}),
    // --config takes a file, or a URL like bronze.config=.
    ...(flags.config !== undefined && !isUrl(flags.config) ? { config: flags.config } : {}),
    ...(flags.config !== undefined && isUrl(flags.config) ? { configUrl: flags.config } : {}),
    ...(flags["config-url"] !== undefined ? { configUrl: flags["config-url"] } : {}),
  };
}
