// The floor's QEMU command line, derived from a node's (as `osctl cluster create` wrote it to
// qemu.argv) so that both boot with the same machine: accelerator, CPU, memory, devices, kernel and
// kernel arguments. Only the initrd and the serial log differ; the pid file and apid's port forward
// are dropped (the floor serves nothing), and -no-reboot makes a failed floor end QEMU too.

export class FloorArgvError extends Error {
  override readonly name = "FloorArgvError";
  readonly code = "BadArgv";
}

export interface FloorArgvOptions {
  readonly initrd: string;
  readonly serialLog: string;
}

function flagValue(argv: readonly string[], flag: string): string {
  const i = argv.indexOf(flag);
  const value = i >= 0 ? argv[i + 1] : undefined;
  if (value === undefined)
    throw new FloorArgvError(`the node's QEMU command line has no ${flag} <value>: ${argv.join(" ")}`);
  return value;
}

export function floorQemuArgv(node: readonly string[], options: FloorArgvOptions): string[] {
  flagValue(node, "-kernel");
  flagValue(node, "-initrd");
  flagValue(node, "-serial");
  const out: string[] = [];
  for (let i = 0; i < node.length; i++) {
    const arg = node[i] as string;
    const next = node[i + 1];
    if (arg === "-pidfile") {
      i++;
      continue;
    }
    if (arg === "-initrd" || arg === "-serial" || arg === "-netdev") {
      const value =
        arg === "-initrd"
          ? options.initrd
          : arg === "-serial"
            ? `file:${options.serialLog}`
            : (next as string).replace(/,hostfwd=[^,]*/g, "");
      out.push(arg, value);
      i++;
      continue;
    }
    out.push(arg);
  }
  if (!out.includes("-no-reboot")) out.push("-no-reboot");
  return out;
}
