import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@bronze/testing";
import { pinnedConnectCall } from "./pinned-connect.ts";

// A real TLS server with a self-signed certificate made by openssl, answering like apid's Connect
// endpoint: Version with JSON, anything else refused as permission_denied.
const dir = mkdtempSync(join(tmpdir(), "bronze-pinned-"));
let server: http2.Http2SecureServer;
let port = 0;
let fingerprint = "";
const seen: string[] = [];

beforeAll(async () => {
  const key = join(dir, "key.pem");
  const crt = join(dir, "crt.pem");
  const made = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"].concat([
      "-keyout",
      key,
      "-out",
      crt,
      "-days",
      "1",
      "-subj",
      "/CN=maintenance",
    ]),
    { stderr: "pipe" },
  );
  if (made.exitCode !== 0) throw new Error(made.stderr.toString());
  const fp = Bun.spawnSync(["openssl", "x509", "-in", crt, "-noout", "-fingerprint", "-sha256"]);
  fingerprint = fp.stdout.toString().trim().split("=")[1] ?? "";
  server = http2.createSecureServer({ key: readFileSync(key), cert: readFileSync(crt) }, (req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      seen.push(`${req.url} ${body}`);
      res.setHeader("content-type", "application/json");
      if (req.url === "/bronze.machine.v1.MachineService/Version") {
        res.end(JSON.stringify({ maintenance: true }));
      } else {
        res.statusCode = 403;
        res.end(JSON.stringify({ code: "permission_denied", message: "not in maintenance mode" }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  port = typeof address === "object" && address !== null ? address.port : 0;
});

afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("with openssl's fingerprint (colons, uppercase) the call is made and its JSON answer returned", async () => {
  expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const ok = await pinnedConnectCall(
    { host: "127.0.0.1", port },
    fingerprint,
    "bronze.machine.v1.MachineService/Version",
  );
  expect(ok).toEqual({ status: 200, body: { maintenance: true } });
  const refused = await pinnedConnectCall(
    { host: "127.0.0.1", port },
    `sha256:${fingerprint.replaceAll(":", "").toLowerCase()}`,
    "bronze.machine.v1.MachineService/ServiceList",
  );
  expect(refused).toEqual({
    status: 403,
    body: { code: "permission_denied", message: "not in maintenance mode" },
  });
  expect(seen).toEqual([
    "/bronze.machine.v1.MachineService/Version {}",
    "/bronze.machine.v1.MachineService/ServiceList {}",
  ]);
});

test("another fingerprint: refused before anything is sent; nothing listening: a Connect error", async () => {
  const before = seen.length;
  await expect(
    pinnedConnectCall(
      { host: "127.0.0.1", port },
      "ab".repeat(32),
      "bronze.machine.v1.MachineService/Version",
    ),
  ).rejects.toMatchObject({ code: "Mismatch", message: expect.stringContaining("nothing was sent") });
  expect(seen.length).toBe(before);
  // Nothing listens there.
  const closedPort = await freePort();
  await expect(
    pinnedConnectCall(
      { host: "127.0.0.1", port: closedPort },
      fingerprint,
      "bronze.machine.v1.MachineService/Version",
    ),
  ).rejects.toMatchObject({ code: "Connect" });
});
