// The life of an HTTP/2 server shared by machined's API socket, apid and trustd: listen as a
// promise, know the open sessions, and close politely, then forcibly after a grace period.
import type * as http2 from "node:http2";

type Http2AnyServer = http2.Http2Server | http2.Http2SecureServer;

/** Keeps the set of open sessions; a session's error goes to `onSessionError` (never thrown). */
export function trackSessions(
  server: Http2AnyServer,
  onSessionError: (error: Error) => void,
): Set<http2.ServerHttp2Session> {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", onSessionError);
  });
  return sessions;
}

/** Listens on a TCP port (`{ port, host }`) or a unix socket (`{ path }`); a bind failure rejects with `toError`. */
export function listen(
  server: Http2AnyServer,
  where: { port: number; host: string } | { path: string },
  toError: (error: Error) => Error,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(toError(error));
    server.once("error", onError);
    const listening = () => {
      server.off("error", onError);
      resolve();
    };
    if ("path" in where) server.listen(where.path, listening);
    else server.listen(where.port, where.host, listening);
  });
}

/** Stops accepting, asks every session to close, destroys those still open after `graceMs`. */
export async function closeGracefully(
  server: Http2AnyServer,
  sessions: Set<http2.ServerHttp2Session>,
  graceMs: number,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const session of sessions) session.close();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  if (await Promise.race([closed.then(() => false), timedOut])) {
    for (const session of sessions) session.destroy();
    await closed;
  }
  clearTimeout(timer);
}
