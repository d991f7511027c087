import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { MachineConfig } from "@bronze/config-schema";
import { encodePemBase64, generateCA, inspectCertificate, issueCertificate } from "@bronze/pki";
import { eventually, freePort } from "@bronze/testing";
import { type Subprocess, spawn } from "bun";
import { systemClock } from "../clock.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { FakeClock } from "../testing/fake-clock.ts";
import { NodePkiError, pkiService, provisionCertificates } from "./pki.ts";

const TOKEN = "q3k7vz.8f2mxw0c1pl4hb9d";
const TRUSTD_MAIN = resolve(import.meta.dir, "../../../trustd/src/main.ts");
let dir: string;
let ca: { crt: string; key: string };
let trustd: Subprocess;
let trustdPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "bronze-pki-service-"));
  ca = await generateCA({ commonName: "bronze", organization: "bronze" });
  // A control plane's trustd, as a child process (machined imports trustd only from its entry point).
  const pki = join(dir, "cp-trustd");
  mkdirSync(pki);
  const server = await issueCertificate({
    ca,
    commonName: "cp",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  writeFileSync(join(pki, "ca.crt"), ca.crt);
  writeFileSync(join(pki, "ca.key"), ca.key);
  writeFileSync(join(pki, "server.crt"), server.crt);
  writeFileSync(join(pki, "server.key"), server.key);
  writeFileSync(join(pki, "token"), TOKEN);
  trustdPort = await freePort();
  trustd = spawn(
    [
      "bun",
      TRUSTD_MAIN,
      "--listen",
      `127.0.0.1:${trustdPort}`,
      "--pki-dir",
      pki,
      "--token-file",
      join(pki, "token"),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const reader = (trustd.stdout as ReadableStream<Uint8Array>).getReader();
  let seen = "";
  while (!seen.includes("serving on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`trustd exited: ${seen}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
});

afterAll(async () => {
  trustd?.kill("SIGTERM");
  await trustd?.exited;
  rmSync(dir, { recursive: true, force: true });
});

const config = (machine: Record<string, unknown>, cluster: Record<string, unknown> = {}) =>
  ({ version: "v1alpha1", machine, cluster }) as unknown as MachineConfig;

const options = (name: string, cfg: MachineConfig | undefined) => ({
  apidDir: join(dir, name, "apid"),
  trustdDir: join(dir, name, "trustd"),
  owners: { apid: { uid: 50, gid: 50 }, trustd: { uid: 51, gid: 51 } },
  config: () => cfg,
  hostname: () => "node-1",
  addresses: () => ["10.0.0.11"],
  clock: systemClock,
  trustdPort,
  retry: { initialMs: 50, maxMs: 200 },
});

test("a control plane's service writes apid's and trustd's directories, readable by their uids", async () => {
  const o = options(
    "cp",
    config({
      type: "controlplane",
      token: TOKEN,
      ca: { crt: encodePemBase64(ca.crt), key: encodePemBase64(ca.key) },
    }),
  );
  const supervisor = new Supervisor({ logDir: join(dir, "cp-log") });
  supervisor.register(pkiService(o));
  supervisor.start("pki");
  await supervisor.waitFor("pki", (s) => s.up);
  const server = inspectCertificate(readFileSync(join(o.apidDir, "server.crt"), "utf8"));
  expect(server.ipAddresses).toContain("10.0.0.11");
  expect(statSync(join(o.apidDir, "server.key")).uid).toBe(50);
  expect(statSync(join(o.trustdDir, "ca.key")).uid).toBe(51);
  expect(statSync(join(o.trustdDir, "ca.key")).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(o.trustdDir, "token"), "utf8")).toBe(TOKEN);
  expect(
    supervisor
      .logs("pki")
      .tail()
      .map((l) => l.text)
      .join("\n"),
  ).toContain("certificates written, issued with the OS CA (valid until");
  expect(
    supervisor
      .logs("pki")
      .tail()
      .map((l) => l.text)
      .join("\n"),
  ).toContain("renewal in 5840 h");
  await supervisor.stopAll();
  supervisor.close();
});

test("a worker gets its certificate from a real trustd with the token", async () => {
  const o = options(
    "worker",
    config(
      { type: "worker", token: TOKEN, ca: { crt: encodePemBase64(ca.crt) } },
      {
        controlPlane: { endpoint: "https://127.0.0.1:6443" },
      },
    ),
  );
  const certs = await provisionCertificates(o);
  expect(certs.source).toMatch(/^signed by trustd at 127\.0\.0\.1:\d+$/);
  expect(certs.trustd).toBeUndefined();
  expect(certs.apid.map((f) => f.name)).toEqual(["ca.crt", "server.crt", "server.key"]);
  const server = inspectCertificate(certs.apid.find((f) => f.name === "server.crt")?.data ?? "");
  // trustd names the certificate after the address it was called from, whatever the CSR asks.
  expect(server.commonName).toBe("127.0.0.1");
  expect(server.ipAddresses).toEqual(["127.0.0.1", "::1"]);
  expect(server.dnsNames).toEqual(["localhost"]);
  expect(server.extendedKeyUsages).toEqual(["serverAuth"]);
  expect(certs.apid[0]?.data).toBe(ca.crt);
});

test("a worker with a wrong token is refused by trustd; the service retries, its status says why, once", async () => {
  const worker = (token: string) =>
    config(
      { type: "worker", token, ca: { crt: encodePemBase64(ca.crt) } },
      { controlPlane: { endpoint: "https://127.0.0.1:6443" } },
    );
  let current = worker("aaaaaa.bbbbbbbbbbbbbbbb");
  const o = { ...options("bad-token", undefined), config: () => current };
  await expect(provisionCertificates(o)).rejects.toThrow(/unauthenticated/i);
  const supervisor = new Supervisor({ logDir: join(dir, "bad-log") });
  supervisor.register(pkiService(o));
  supervisor.start("pki");
  const retries = () =>
    supervisor
      .logs("pki")
      .tail()
      .filter((l) => l.text.includes("retrying")).length;
  await eventually("three attempts", () => retries() >= 3);
  const status = supervisor.status("pki");
  expect(status.up).toBe(false);
  // What `osctl services` prints: the error it retries, counted; one event (console line) for it.
  expect(status.state).toBe("Running");
  expect(status.message).toMatch(
    /^cannot get the node's certificates: .*unauthenticated.* \(\d+ times since \d{4}-\d\d-\d\dT[\d:.]+Z\)$/i,
  );
  const said = (text: string) =>
    supervisor.events.tail(Number.POSITIVE_INFINITY, "pki").filter((e) => e.message.includes(text));
  expect(said("cannot get the node's certificates")).toHaveLength(1);

  // With the right token the next attempt gets the certificates, and the status says so.
  current = worker(TOKEN);
  await supervisor.waitFor("pki", (s) => s.up);
  expect(said("certificates written").map((e) => e.message)).toEqual([
    expect.stringMatching(
      /^certificates written, signed by trustd at 127\.0\.0\.1:\d+ .* \(after \d+ failures\)$/,
    ),
  ]);
  expect(said("cannot get the node's certificates")).toHaveLength(1);
  await supervisor.stopAll();
  supervisor.close();
});

test("a config without the CA is a NodePkiError naming the field", async () => {
  await expect(provisionCertificates(options("none", config({ type: "worker" })))).rejects.toBeInstanceOf(
    NodePkiError,
  );
  await expect(provisionCertificates(options("none", config({ type: "worker" })))).rejects.toThrow(
    "machine.ca is missing",
  );
  await expect(provisionCertificates(options("none", undefined))).rejects.toThrow("no machine config");
});

test("the certificates are renewed at two thirds of their lifetime", async () => {
  const clock = new FakeClock(Date.now());
  const o = {
    ...options(
      "renew",
      config({
        type: "controlplane",
        token: TOKEN,
        ca: { crt: encodePemBase64(ca.crt), key: encodePemBase64(ca.key) },
      }),
    ),
    clock,
  };
  const supervisor = new Supervisor({ logDir: join(dir, "renew-log") });
  supervisor.register(pkiService(o));
  supervisor.start("pki");
  await supervisor.waitFor("pki", (s) => s.up);
  const serial = () => inspectCertificate(readFileSync(join(o.apidDir, "server.crt"), "utf8")).serialNumber;
  const first = serial();
  // The service sleeps until its renewal time: the one wait on its clock.
  await eventually("the renewal wait armed", () => clock.pending === 1, 10_000, 5);
  // One day short of two thirds of a year: the renewal is still to come; nothing changed.
  await clock.advance(242 * 86_400_000);
  expect(clock.pending).toBe(1);
  expect(clock.nextDeadline()).toBeGreaterThan(clock.monotonic());
  expect(serial()).toBe(first);
  // Past it: a new certificate, valid from the (fake) now.
  await clock.advance(2 * 86_400_000);
  await eventually("a renewed certificate", () => serial() !== first, 10_000, 20);
  const renewed = inspectCertificate(readFileSync(join(o.apidDir, "server.crt"), "utf8"));
  expect(Math.abs(renewed.notBefore.getTime() - (clock.now() - 60_000))).toBeLessThan(86_400_000);
  // trustd's directory is written after apid's (each file's fsync on the thread pool)
  await eventually(
    "trustd's certificate renewed too",
    () =>
      readFileSync(join(o.trustdDir, "server.crt"), "utf8") ===
      readFileSync(join(o.apidDir, "server.crt"), "utf8"),
    10_000,
    20,
  );
  await supervisor.stopAll();
  supervisor.close();
});
