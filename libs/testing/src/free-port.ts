// A TCP port nothing listens on right now, for a server the test starts next.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export class FreePortError extends Error {
  override readonly name = "FreePortError";
  readonly code = "NoPort";
}

/**
 * The kernel's ephemeral range (net.ipv4.ip_local_port_range): the ports it gives to bind(0) and to
 * every outgoing connection.
 */
export function ephemeralPorts(read = () => readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")): {
  low: number;
  high: number;
} {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 1024 && high >= low) return { low, high };
  } catch {
    // not Linux, or no /proc: the usual default
  }
  return { low: 32768, high: 60999 };
}

function tryListen(port: number, host: string): Promise<boolean | Error> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      resolve(error.code === "EADDRINUSE" || error.code === "EACCES" ? false : error),
    );
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A port nothing listens on right now on `host`, below the ephemeral range: a port from that range
 * (what bind(0) returns) can be taken meanwhile by any outgoing connection's local end, so a port
 * handed to a server that binds it seconds later must come from outside it. Take it just before the
 * server that uses it starts.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const { low } = ephemeralPorts();
  const first = Math.max(1025, low - 12_000);
  let last = "every port tried is in use";
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = first + Math.floor(Math.random() * (low - first));
    const result = await tryListen(port, host);
    if (result === true) return port;
    if (result instanceof Error) {
      last = result.message;
      break;
    }
  }
  throw new FreePortError(`no free port on ${host} below ${low}: ${last}`);
}
