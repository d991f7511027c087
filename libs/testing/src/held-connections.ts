// Many TCP connections that send nothing, for tests of a server's connection limits: what an
// unauthenticated client can make a server hold.
import { connect, type Socket } from "node:net";

export interface HeldConnections {
  /** Connections still open from this side's point of view. */
  open(): number;
  /** Connections the server accepted and has not closed yet (connected, not closed). */
  readonly sockets: readonly Socket[];
  close(): void;
}

/**
 * Opens `count` TCP connections to host:port, spread over the source addresses `from` (Linux routes all
 * of 127.0.0.0/8 to the loopback, so 127.0.0.2, 127.0.0.3, ... are distinct clients); never sends a
 * byte. Resolves once each has connected or failed.
 */
export async function holdConnections(options: {
  port: number;
  host?: string;
  count: number;
  from?: readonly string[];
}): Promise<HeldConnections> {
  const sources = options.from ?? ["127.0.0.1"];
  const sockets: Socket[] = [];
  let open = 0;
  await Promise.all(
    Array.from({ length: options.count }, (_, i) => {
      return new Promise<void>((resolve) => {
        const socket = connect({
          port: options.port,
          host: options.host ?? "127.0.0.1",
          localAddress: sources[i % sources.length],
        });
        sockets.push(socket);
        // Flowing: a closed connection is noticed without anyone reading.
        socket.resume();
        socket.once("connect", () => {
          open++;
          socket.once("close", () => open--);
          resolve();
        });
        socket.on("error", () => resolve());
      });
    }),
  );
  return {
    open: () => open,
    sockets,
    close: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}
