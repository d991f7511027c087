// Whether a TLS server answers on a port: slirp's host forwards accept TCP even when nothing listens
// in the guest, so only a completed handshake says apid is there.
import { connect } from "node:tls";

export function tlsAnswers(host: string, port: number, timeoutMs = 3_000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["h2"] });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once("secureConnect", () => finish(true));
    socket.once("error", () => finish(false));
    socket.once("close", () => finish(false));
  });
}
