// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac} and ${base-url} are iPXE and machined variables, not templates
// `osctl pxe serve`: serves the image's assets, per-machine iPXE scripts and machine configs over
// HTTP until interrupted (SIGINT/SIGTERM). See src/pxe/pxe-server.ts for the routes.
import { resolve } from "node:path";
import { CliError } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { PxeServeError, parseListen, startPxeServer } from "../pxe/pxe-server.ts";

export interface PxeServeOptions {
  assets: string;
  configs: string;
  listen: string;
  baseUrl?: string;
}

export async function pxeServe(
  options: PxeServeOptions,
  io: Io,
  stop: Promise<unknown> = signalled(),
): Promise<void> {
  let server: ReturnType<typeof startPxeServer>;
  try {
    server = startPxeServer({
      assetsDir: resolve(io.cwd, options.assets),
      configsDir: resolve(io.cwd, options.configs),
      listen: parseListen(options.listen),
      ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl.replace(/\/$/, "") } : {}),
      log: (line) => io.stdout(`${io.now().toISOString()} ${line}\n`),
    });
  } catch (error) {
    if (error instanceof PxeServeError) throw new CliError("invalid-input", error.message);
    throw new CliError("failed", `cannot listen on ${options.listen}: ${(error as Error).message}`);
  }
  io.stdout(
    `serving ${options.assets} and ${options.configs} on http://${server.hostname}:${server.port} ` +
      "(/assets/<file>, /boot.ipxe?mac=${mac}, /config?mac=${mac})\n",
  );
  await stop;
  server.stop(true);
}

function signalled(): Promise<string> {
  return new Promise((done) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => done(signal));
  });
}
