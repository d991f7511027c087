import { existsSync } from "node:fs";
import type { ConfigStore } from "./config-store.ts";

/**
 * At startup, before the config is acquired: a config.previous.yaml means machined stopped while a
 * config applied in try mode was on trial (never confirmed): the config it replaced comes back.
 * Returns whether it did.
 */
export function revertInterruptedTrial(
  store: Pick<ConfigStore, "previousPath" | "endTrial">,
  log: (line: string) => void,
): boolean {
  if (!existsSync(store.previousPath)) return false;
  store.endTrial("revert");
  log("config: a config on trial was never confirmed: the previous config is back in force");
  return true;
}
