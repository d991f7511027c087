// A TCP port nothing listens on right now, for a server the test starts next.
import { createServer } from "node:net";

export class FreePortError extends Error {
  override readonly name = "FreePortError";
  readonly code = "NoPort";
}

/** Asks the kernel for an unused port on `host` (binds port 0, reads it, closes). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error) => reject(new FreePortError(`no free port on ${host}: ${error.message}`)));
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() =>
        port > 0 ? resolve(port) : reject(new FreePortError(`no port assigned on ${host}`)),
      );
    });
  });
}
