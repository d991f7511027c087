import { BRONZE_VERSION } from "@bronze/api";
import type { MachineApiContext } from "../context.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

/** Node's process.arch in the names Go (and so Talos and container images) use. */
export function goArch(arch: string = process.arch): string {
  return arch === "x64" ? "amd64" : arch === "ia32" ? "386" : arch;
}

export function versionHandlers(
  ctx: Pick<MachineApiContext, "platform" | "maintenance" | "hostname" | "buildSha">,
): Pick<MachineServiceImpl, "version" | "hostname"> {
  return {
    version: () => ({
      version: {
        tag: BRONZE_VERSION,
        sha: ctx.buildSha ?? "",
        runtime: `bun ${Bun.version}`,
        os: "linux",
        arch: goArch(),
      },
      platform: ctx.platform,
      maintenance: ctx.maintenance(),
    }),
    hostname: () => ({ hostname: ctx.hostname() }),
  };
}
