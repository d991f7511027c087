// An HTTP/2 + TLS server as its own process, for tls-health-check.test.ts (so that it can be frozen):
// `bun tls-server-fixture.ts <dir> <require-client-cert: yes|no>` serves with <dir>/server.crt and
// server.key (client certificates signed by <dir>/ca.crt when required), prints `listening <port>`,
// then `request <method> <path>` for every request, answered 404.
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";

const [dir = ".", require = "no"] = process.argv.slice(2);
const server = http2.createSecureServer(
  {
    cert: readFileSync(join(dir, "server.crt")),
    key: readFileSync(join(dir, "server.key")),
    ca: readFileSync(join(dir, "ca.crt")),
    requestCert: require === "yes",
    rejectUnauthorized: require === "yes",
  },
  (req, res) => {
    process.stdout.write(`request ${req.method} ${req.url}\n`);
    res.writeHead(404);
    res.end();
  },
);
server.on("tlsClientError", () => {});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === "object" && address !== null ? address.port : 0}\n`);
});
