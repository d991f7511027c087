import { BRONZE_VERSION } from "@bronze/api";
import type { MachineApiContext } from "../context.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

/** Node's process.arch in the names Go (and so Talos and container images) use. */
export function goArch(arch: string = process.arch): string {
  return arch === "x64" ? "amd64" : arch === "ia32" ? "386" : arch;
}

/** The booted slot, the other slot's version and the last change; empty where there are no slots. */
function slotFacts(slots: MachineApiContext["slots"]) {
  if (slots === undefined) return {};
  try {
    return slots.describe();
  } catch {
    return {}; // an unreadable ledger must not fail Version
  }
}

export function versionHandlers(
  ctx: Pick<
    MachineApiContext,
    "platform" | "maintenance" | "hostname" | "buildSha" | "releaseVersion" | "slots"
  >,
): Pick<MachineServiceImpl, "version" | "hostname"> {
  return {
    version: () => ({
      version: {
        tag: ctx.releaseVersion ?? BRONZE_VERSION,
        sha: ctx.buildSha ?? "",
        runtime: `bun ${Bun.version}`,
        os: "linux",
        arch: goArch(),
      },
      platform: ctx.platform,
      maintenance: ctx.maintenance(),
      ...slotFacts(ctx.slots),
    }),
    hostname: () => ({ hostname: ctx.hostname() }),
  };
}
