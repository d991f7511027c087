// A local cluster's config server: this same osctl running `pxe serve` detached on 127.0.0.1 (the
// guests reach it at 10.0.2.2), so that it outlives `cluster create`.
import { resolve } from "node:path";
import { CliError } from "../cli-error.ts";
import { isCompiled } from "../compiled.ts";
import { isAlive, startDetached } from "./process-control.ts";

/** How to run this same osctl again (compiled: the binary; from source: bun + main.ts). */
function selfArgv(): string[] {
  return isCompiled ? [process.execPath] : [process.execPath, resolve(import.meta.dir, "../main.ts")];
}

export interface ConfigServerInput {
  assetsDir: string;
  configs: string;
  port: number;
  log: string;
}

/** Starts `osctl pxe serve` over the cluster's configs, detached; returns its pid. */
export function startConfigServer(input: ConfigServerInput): number {
  return startDetached(
    [
      ...selfArgv(),
      "pxe",
      "serve",
      "--assets",
      input.assetsDir,
      "--configs",
      input.configs,
      "--listen",
      `127.0.0.1:${input.port}`,
    ],
    input.log,
  );
}

/** Polls `url` until it answers 2xx; gives up at the deadline or as soon as the server is dead. */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (!alive()) break;
    await Bun.sleep(100);
  }
  throw new CliError("failed", `the config server did not answer at ${url}`);
}

/** Waits for the config server started with `pid` to answer its health check. */
export function waitForConfigServer(port: number, pid: number): Promise<void> {
  return waitForHttp(`http://127.0.0.1:${port}/healthz`, 15_000, () => isAlive(pid));
}
