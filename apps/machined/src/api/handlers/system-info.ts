import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MountStat } from "@bronze/api";
import { parseMeminfo } from "../../sys/proc/meminfo.ts";
import { parseMountinfo } from "../../sys/proc/mountinfo.ts";
import { ProcessTable } from "../../sys/proc/process-info.ts";
import { toConnectError } from "../api-errors.ts";
import type { MachineApiContext } from "../context.ts";
import { callerRole } from "../role-context.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

export function systemInfoHandlers(
  ctx: Pick<MachineApiContext, "procRoot" | "statfs" | "clock">,
): Pick<MachineServiceImpl, "memory" | "processes" | "mounts"> {
  const processTable = new ProcessTable(ctx.procRoot, ctx.clock);
  return {
    memory: () => {
      try {
        return { meminfo: parseMeminfo(readFileSync(join(ctx.procRoot, "meminfo"), "utf8")) };
      } catch (error) {
        throw toConnectError(error, "reading meminfo");
      }
    },
    // Command lines can carry secrets (a --token= flag): an os:reader sees each process's executable,
    // its arguments marked hidden (Talos shows them to its readers; Bronze does not).
    processes: async (_req, hctx) => {
      const role = callerRole(hctx);
      const commandLines = role === "os:admin" || role === "os:operator";
      try {
        return { processes: await processTable.list({ commandLines }) };
      } catch (error) {
        throw toConnectError(error, "listing processes");
      }
    },
    mounts: () => {
      let text: string;
      try {
        text = readFileSync(join(ctx.procRoot, "self", "mountinfo"), "utf8");
      } catch (error) {
        throw toConnectError(error, "reading mountinfo");
      }
      const stats: Omit<MountStat, "$typeName">[] = parseMountinfo(text).map((m) => {
        const usage = ctx.statfs(m.mountPoint);
        return {
          filesystem: m.source,
          size: usage?.size ?? 0n,
          available: usage?.available ?? 0n,
          mountedOn: m.mountPoint,
          fsType: m.fsType,
          options: m.options,
        };
      });
      return { stats };
    },
  };
}
