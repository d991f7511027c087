import { connect } from "node:net";
import { type ApiServerOptions, startApiServer } from "../api/api-server.ts";
import { InProcessRunner } from "../supervisor/runners/in-process-runner.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";

/**
 * machined's own API as a supervised in-process service ("machined"): serves until the supervisor
 * stops it, then closes gracefully. Health: the socket accepts connections.
 */
export function machineApiService(options: ApiServerOptions): ServiceDefinition {
  return {
    id: "machined",
    dependsOn: [],
    restart: "forever",
    healthCheck: {
      initialDelayMs: 0,
      periodMs: 5000,
      // apid waits for this check: a first check that just misses the API cost it 5 s
      startPeriodMs: 100,
      timeoutMs: 1000,
      check: (signal) =>
        new Promise<void>((resolve, reject) => {
          const socket = connect(options.socketPath);
          socket.once("connect", () => {
            socket.destroy();
            resolve();
          });
          socket.once("error", (error) => reject(new Error(`machine API socket: ${error.message}`)));
          signal.addEventListener("abort", () => socket.destroy(), { once: true });
        }),
    },
    runner: new InProcessRunner(async ({ signal, log }) => {
      const server = await startApiServer({
        ...options,
        onInternalError: (error) => {
          log.line("system", `api: ${error instanceof Error ? error.message : String(error)}`);
          options.onInternalError?.(error);
        },
      });
      log.line("system", `serving the machine API on ${server.socketPath}`);
      if (!signal.aborted)
        await new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true }),
        );
      await server.close();
    }),
  };
}
