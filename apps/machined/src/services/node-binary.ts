import { existsSync } from "node:fs";
import { resolve } from "node:path";

export interface NodeBinaryContext {
  readonly container: boolean;
  /** --node-binary. */
  readonly flag: string | undefined;
  /** process.execPath: the multi-call binary itself when compiled, else bun's. */
  readonly execPath: string;
  /** import.meta.dir of this module: `/$bunfs/…` inside a compiled binary. */
  readonly moduleDir: string;
  readonly exists?: (path: string) => boolean;
}

/** The repository's `dist/bronze-node` (what `bun run build:node` writes), from this module's directory. */
export function repoNodeBinary(moduleDir: string): string {
  return resolve(moduleDir, "../../../../dist/bronze-node");
}

/**
 * The multi-call binary apid and trustd run from: `--node-binary` when given; the running binary when
 * compiled (on a node it is /sbin/init); under `bun`, in container mode, the repository's
 * dist/bronze-node when it exists; otherwise undefined (the services then fail naming the flag).
 */
export function resolveNodeBinary(ctx: NodeBinaryContext): string | undefined {
  if (ctx.flag !== undefined) return resolve(ctx.flag);
  // Inside a compiled binary modules live in Bun's embedded filesystem.
  if (ctx.moduleDir.startsWith("/$bunfs")) return ctx.execPath;
  const exists = ctx.exists ?? existsSync;
  const built = repoNodeBinary(ctx.moduleDir);
  return ctx.container && exists(built) ? built : undefined;
}
