// Where the client config lives: `--osconfig` wins, then `$OSCONFIG`, then `~/.osctl/config`.
import { join } from "node:path";
import type { Io } from "../io.ts";

export function resolveOsconfigPath(flag: string | undefined, io: Io): string {
  return flag ?? io.env.OSCONFIG ?? join(io.home, ".osctl", "config");
}
