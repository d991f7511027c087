// A real control-plane node in container mode (docs/design.md §7): machined as an ordinary root process
// sandboxed under a temporary directory, with a real containerd, apid and trustd as its containers.
// Everything is driven like a user would: the real osctl CLI, and curl for the Connect protocol.
// Needs root, containerd and runc (Debian's); builds the multi-call binary apid and trustd run from.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BRONZE_VERSION } from "@bronze/api";
import { nodeBinaryBuildArgs } from "@bronze/image/node-binary";
import { decodePemBase64, issueClientCertificate } from "@bronze/pki";
import { freePort, waitFor } from "@bronze/testing";
import type { Subprocess } from "bun";
import { parse, parseAllDocuments, stringify } from "yaml";
import { MACHINED_MAIN, REPO_ROOT } from "./src/repo-root.ts";
import { runOsctl } from "./src/run-osctl.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-e2e-container-"));
const osconfig = join(dir, "osconfig");
const machinedLog = join(dir, "machined.log");
const machinedErr = join(dir, "machined.err");
const nodeBinary = join(dir, "bronze-node");
let apidPort = 0;
let node: Subprocess | undefined;
let exitCode: number | null = null;

const endpoint = () => `127.0.0.1:${apidPort}`;
/** osctl with an osconfig (the admin one by default), at the node's apid. */
const cli = (args: string[], config = osconfig) =>
  runOsctl(["--osconfig", config, "-e", endpoint(), ...args]);
const logTail = () =>
  existsSync(machinedLog) ? readFileSync(machinedLog, "utf8").split("\n").slice(-40).join("\n") : "";

interface OsconfigFile {
  context: string;
  contexts: Record<string, { endpoints: string[]; nodes: string[]; ca: string; crt: string; key: string }>;
}
function currentContext(path: string) {
  const config = parse(readFileSync(path, "utf8")) as OsconfigFile;
  const context = config.contexts[config.context];
  if (context === undefined) throw new Error(`${path}: no current context`);
  return context;
}
const pem = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

beforeAll(async () => {
  // The multi-call binary apid and trustd run from, fresh from the sources (as `bun run build:node`
  // builds it, with its workers), kept apart from dist/ so that nothing else running from there is disturbed.
  const build = Bun.spawnSync(nodeBinaryBuildArgs(MACHINED_MAIN, nodeBinary), {
    cwd: REPO_ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`building ${nodeBinary} failed: ${build.stderr.toString()}`);
  const gen = await runOsctl(["gen", "config", "e2e", "https://127.0.0.1:6443", "-o", dir]);
  expect(gen.code).toBe(0);

  apidPort = await freePort();
  const trustdPort = await freePort();
  mkdirSync(join(dir, "root"));
  node = Bun.spawn(
    [
      "bun",
      MACHINED_MAIN,
      "--platform",
      "container",
      "--root",
      join(dir, "root"),
      "--config",
      join(dir, "controlplane.yaml"),
      "--apid-port",
      String(apidPort),
      "--trustd-port",
      String(trustdPort),
      "--node-binary",
      nodeBinary,
    ],
    { cwd: REPO_ROOT, stdout: Bun.file(machinedLog), stderr: Bun.file(machinedErr) },
  );
  node.exited.then((code) => {
    exitCode = code;
  });
  // Up when apid answers for machined.
  await waitFor(
    async () => {
      const res = await cli(["version", "--timeout", "5s"]);
      if (res.code !== 0) throw new Error(res.stderr.trim());
      return res;
    },
    {
      what: `the node's apid on ${endpoint()}`,
      timeoutMs: 180_000,
      intervalMs: 1000,
      abandon: () => (exitCode === null ? undefined : `machined exited with ${exitCode}:\n${logTail()}`),
    },
  );
}, 400_000);

afterAll(async () => {
  if (node !== undefined && exitCode === null) {
    node.kill("SIGTERM");
    const ended = await Promise.race([node.exited.then(() => true), Bun.sleep(30_000).then(() => false)]);
    if (!ended) node.kill("SIGKILL");
    await node.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test("version: the node's release, in container mode, with its config", async () => {
  const res = await cli(["version"]);
  expect(res.code).toBe(0);
  expect(res.stdout).toContain(`Tag:         ${BRONZE_VERSION}`);
  expect(res.stdout).toContain("Platform:    container");
  expect(res.stdout).toContain("Maintenance: no");
});

test("services: machined, containerd and apid are running", async () => {
  const running = (out: string, id: string) => new RegExp(`^${id}\\s+Running\\b`, "m").test(out);
  const res = await waitFor(
    async () => {
      const r = await cli(["services"]);
      if (r.code !== 0) throw new Error(r.stderr.trim());
      return ["machined", "containerd", "apid"].every((id) => running(r.stdout, id)) ? r : undefined;
    },
    { what: "machined, containerd and apid Running", timeoutMs: 60_000, intervalMs: 1000 },
  );
  expect(res.stdout).toMatch(/^SERVICE\s+STATE\s+HEALTH/m);
});

test("logs apid: apid's own output, through apid", async () => {
  // apid answers as soon as it listens; its line reaches machined's log through the container's log
  // file, which machined polls: wait for it.
  const res = await waitFor(
    async () => {
      const r = await cli(["logs", "apid"]);
      if (r.code !== 0) throw new Error(r.stderr.trim());
      return r.stdout.includes("apid: serving on") ? r : undefined;
    },
    { what: "apid's 'serving on' line in its log", timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(res.code).toBe(0);
});

test("a reader minted with `config new --roles os:reader` reads, but may not reboot, read files or mint", async () => {
  const readerConfig = join(dir, "reader-osconfig");
  const minted = await cli(["config", "new", readerConfig, "--roles", "os:reader", "--crt-ttl", "1h"]);
  expect(minted.code).toBe(0);
  expect(minted.stdout).toContain('context "e2e-reader"');

  const version = await cli(["version"], readerConfig);
  expect(version.code).toBe(0);
  expect(version.stdout).toContain(`Tag:         ${BRONZE_VERSION}`);

  const reboot = await cli(["reboot"], readerConfig);
  expect(reboot.code).toBe(1);
  expect(reboot.stderr).toContain("permission denied");

  const read = await cli(["read", "/etc/os-release"], readerConfig);
  expect(read.code).toBe(1);
  expect(read.stderr).toContain("permission denied");

  const mint = await cli(["config", "new", join(dir, "from-reader"), "--roles", "os:admin"], readerConfig);
  expect(mint.code).toBe(1);
  expect(mint.stderr).toContain("permission denied");
  expect(existsSync(join(dir, "from-reader"))).toBe(false);
  expect(exitCode).toBeNull();
});

/** curl's Connect call to Version with a client certificate and key (PEM text) and the node's CA. */
function curlVersion(name: string, ca: string, crt: string, key: string) {
  const files = {
    ca: join(dir, `${name}-ca.pem`),
    crt: join(dir, `${name}.crt`),
    key: join(dir, `${name}.key`),
  };
  writeFileSync(files.ca, ca);
  writeFileSync(files.crt, crt);
  writeFileSync(files.key, key, { mode: 0o600 });
  const curl = Bun.spawnSync(
    [
      "curl",
      "-sS",
      "--fail-with-body",
      "--cert",
      files.crt,
      "--key",
      files.key,
      "--cacert",
      files.ca,
      "-H",
      "content-type: application/json",
      "-d",
      "{}",
      `https://${endpoint()}/bronze.machine.v1.MachineService/Version`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  return { code: curl.exitCode, stdout: curl.stdout.toString(), stderr: curl.stderr.toString() };
}

test("an expired certificate and one of another CA are refused", async () => {
  const admin = currentContext(osconfig);
  // Expired: signed by the node's own OS CA, valid for a day that ended yesterday.
  const [machine] = parseAllDocuments(readFileSync(join(dir, "controlplane.yaml"), "utf8"));
  const ca = {
    crt: decodePemBase64(String(machine?.getIn(["machine", "ca", "crt"]))),
    key: decodePemBase64(String(machine?.getIn(["machine", "ca", "key"]))),
  };
  const expired = await issueClientCertificate(ca, {
    role: "os:admin",
    validityDays: 1,
    now: new Date(Date.now() - 2 * 86_400_000),
  });
  // Another cluster's admin certificate, presented with this node's CA as the trust anchor.
  const other = join(dir, "other");
  expect((await runOsctl(["gen", "config", "other", "https://127.0.0.1:6443", "-o", other])).code).toBe(0);
  const foreign = currentContext(join(other, "osconfig"));

  const cases = [
    { name: "expired", crt: expired.crt, key: expired.key, why: "the client certificate expired at " },
    {
      name: "foreign",
      crt: pem(foreign.crt),
      key: pem(foreign.key),
      why: "the client certificate is not signed by the context's CA (its issuer is ",
    },
  ];
  for (const c of cases) {
    // osctl fails the call (exit 1, an error labelled with the endpoint, no version printed)...
    const path = join(dir, `${c.name}-osconfig`);
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const context = { ...admin, crt: b64(c.crt), key: b64(c.key) };
    writeFileSync(path, stringify({ context: c.name, contexts: { [c.name]: context } }));
    const res = await cli(["version", "--timeout", "10s"], path);
    expect({ name: c.name, code: res.code, server: res.stdout.includes("Server:") }).toEqual({
      name: c.name,
      code: 1,
      server: false,
    });
    // ...saying what went wrong, where: apid closes the connection after the TLS handshake, without
    // an alert, and osctl's diagnostic handshake tells why it refused the certificate.
    expect(res.stderr).toStartWith(
      `error: ${endpoint()}: TLS handshake with ${endpoint()} failed: apid closed the connection right after the handshake: it rejected the client certificate: ${c.why}`,
    );
    // ...and so does curl: apid ends the connection during the handshake (no HTTP answer at all),
    // where the admin certificate gets its answer (next test).
    const curl = curlVersion(c.name, pem(admin.ca), c.crt, c.key);
    expect({ name: c.name, failed: curl.code !== 0, body: curl.stdout }).toEqual({
      name: c.name,
      failed: true,
      body: "",
    });
    expect(curl.stderr).toStartWith("curl: (");
  }
});

test("curl speaks the Connect protocol to apid with the admin certificate", async () => {
  const admin = currentContext(osconfig);
  const curl = curlVersion("admin", pem(admin.ca), pem(admin.crt), pem(admin.key));
  expect({ code: curl.code, stderr: curl.stderr }).toEqual({ code: 0, stderr: "" });
  const body = JSON.parse(curl.stdout) as { version?: { tag?: string }; platform?: string };
  expect(body.version?.tag).toBe(BRONZE_VERSION);
  expect(body.platform).toBe("container");
});

test("shutdown ends the machined process with exit code 0", async () => {
  const res = await cli(["shutdown"]);
  expect(res.code).toBe(0);
  const code = await Promise.race([node?.exited, Bun.sleep(120_000).then(() => "still running")]);
  expect({ code, log: code === 0 ? "" : logTail() }).toEqual({ code: 0, log: "" });
}, 180_000);
