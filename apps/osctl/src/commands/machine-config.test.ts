import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ApplyConfigurationRequest, ApplyMode, ROLE_HEADER } from "@bronze/api";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { type FakeApid, ROLE_KEY, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";

const io = createTestIo();
let server: FakeApid;
let maintenance: FakeApid;
let admin = "";
let reader = "";
const applied: ApplyConfigurationRequest[] = [];
const maintenanceApplied: ApplyConfigurationRequest[] = [];
const CONFIG = "version: v1alpha1\nmachine:\n  token: s3cret\n";

beforeAll(async () => {
  server = await startFakeApid({
    getConfiguration: (_req, ctx) => {
      const isAdmin = ctx.values.get(ROLE_KEY) === "os:admin";
      return {
        data: new TextEncoder().encode(isAdmin ? CONFIG : CONFIG.replace("s3cret", "******")),
        redacted: !isAdmin,
      };
    },
    applyConfiguration: (req) => {
      applied.push(req);
      return {
        mode: req.mode,
        dryRun: req.dryRun,
        modeDetails:
          req.mode === ApplyMode.NO_REBOOT ? "Applied without a reboot" : "Rebooting to apply the config",
        diff: req.dryRun ? "-machine:\n+machine:\n" : "",
        warnings: ["3:3: warning: machine.token: short token [weak-token]"],
      };
    },
  });
  // A node in maintenance mode: its own certificate, no client certificate asked.
  maintenance = await startFakeApid(
    {
      applyConfiguration: (req, ctx) => {
        expect(ctx.requestHeader.get(ROLE_HEADER)).toBeNull();
        maintenanceApplied.push(req);
        return { mode: ApplyMode.AUTO, modeDetails: "Config applied; installing and rebooting" };
      },
    },
    { requireClientCert: false },
  );
  admin = join(io.dir, "admin");
  writeFileSync(admin, server.osconfig("os:admin", [server.endpoint], ["10.0.0.11"]));
  reader = join(io.dir, "reader");
  writeFileSync(reader, server.osconfig("os:reader", [server.endpoint], ["10.0.0.11"]));
  writeFileSync(join(io.dir, "worker.yaml"), CONFIG);
});
afterAll(async () => {
  await server.close();
  await maintenance.close();
  io.cleanup();
});

test("get config: admins see secrets, readers get them redacted (and are told)", async () => {
  const a = await osctl(io, "--osconfig", admin, "get", "config");
  expect(a.code).toBe(0);
  expect(a.stdout).toBe(CONFIG);
  const r = await osctl(io, "--osconfig", reader, "get", "config");
  expect(r.stdout).toContain("token: ******");
  expect(r.stderr).toBe("10.0.0.11: secrets are redacted (only os:admin sees them)\n");
  const two = await osctl(io, "--osconfig", admin, "-n", "a,b", "get", "config", "-o", "json");
  expect(JSON.parse(two.stdout)).toEqual([
    { node: "a", config: CONFIG, redacted: false },
    { node: "b", config: CONFIG, redacted: false },
  ]);
});

test("apply-config sends the file with the mode; warnings on stderr", async () => {
  const res = await osctl(
    io,
    "--osconfig",
    admin,
    "apply-config",
    "-f",
    "worker.yaml",
    "--mode",
    "no-reboot",
  );
  expect(res.code).toBe(0);
  expect(res.stdout).toBe("Applied without a reboot\n");
  expect(res.stderr).toBe("warning: 3:3: warning: machine.token: short token [weak-token]\n");
  const req = applied.at(-1);
  expect(new TextDecoder().decode(req?.data)).toBe(CONFIG);
  expect(req?.mode).toBe(ApplyMode.NO_REBOOT);
  expect(req?.dryRun).toBe(false);
});

test("apply-config --dry-run prints the diff; --mode try carries its timeout", async () => {
  const dry = await osctl(io, "--osconfig", admin, "apply-config", "-f", "worker.yaml", "--dry-run");
  expect(dry.stdout).toBe("dry run: nothing changed (mode auto)\n-machine:\n+machine:\n");
  expect(applied.at(-1)?.dryRun).toBe(true);
  await osctl(
    io,
    "--osconfig",
    admin,
    "apply-config",
    "-f",
    "worker.yaml",
    "--mode",
    "try",
    "--try-timeout",
    "2m",
  );
  const req = applied.at(-1);
  expect(req?.mode).toBe(ApplyMode.TRY);
  expect(req?.tryTimeout && durationMs(req.tryTimeout)).toBe(120_000);
});

test("apply-config refusals: reader role, missing file, flags that do not go together", async () => {
  const denied = await osctl(io, "--osconfig", reader, "apply-config", "-f", "worker.yaml");
  expect(denied.stderr).toBe(
    "error: 10.0.0.11: permission denied: os:reader may not call ApplyConfiguration\n",
  );
  const missing = await osctl(io, "--osconfig", admin, "apply-config", "-f", "nope.yaml");
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe("error: -f/--file: cannot read nope.yaml: no such file\n");
  writeFileSync(join(io.dir, "huge.yaml"), `${CONFIG}# ${"x".repeat(1 << 20)}\n`);
  const sent = applied.length;
  const huge = await osctl(io, "--osconfig", admin, "apply-config", "-f", "huge.yaml");
  expect(huge.code).toBe(1);
  expect(huge.stderr).toBe(
    `error: -f/--file: huge.yaml is ${CONFIG.length + 3 + (1 << 20)} bytes; a machine config may be at most 1048576 bytes (1 MiB)\n`,
  );
  expect(applied.length).toBe(sent); // refused before anything was sent
  const fp = await osctl(io, "apply-config", "-f", "worker.yaml", "--cert-fingerprint", "00");
  expect(fp.code).toBe(2);
  expect(fp.stderr).toContain("--cert-fingerprint goes with --insecure");
  const unpinned = await osctl(
    io,
    "-n",
    maintenance.endpoint,
    "apply-config",
    "-f",
    "worker.yaml",
    "--insecure",
  );
  expect(unpinned.code).toBe(2);
  expect(unpinned.stderr).toContain("--insecure needs --cert-fingerprint");
});

test("apply-config --insecure with the right fingerprint reaches the maintenance node without a client cert", async () => {
  const res = await osctl(
    io,
    "-n",
    maintenance.endpoint,
    "apply-config",
    "-f",
    "worker.yaml",
    "--insecure",
    "--cert-fingerprint",
    maintenance.serverFingerprint,
  );
  expect(res.stderr).toBe("");
  expect(res.code).toBe(0);
  expect(res.stdout).toBe("Config applied; installing and rebooting\n");
  expect(maintenanceApplied).toHaveLength(1);
  expect(maintenance.calls.at(-1)).toEqual({ method: "ApplyConfiguration", node: null, role: undefined });
});

test("apply-config --insecure with a wrong fingerprint is refused before anything is sent", async () => {
  const before = maintenance.calls.length;
  const wrong = server.serverFingerprint; // a real certificate, but not this node's
  const res = await osctl(
    io,
    "-n",
    maintenance.endpoint,
    "apply-config",
    "-f",
    "worker.yaml",
    "--insecure",
    "--cert-fingerprint",
    wrong,
  );
  expect(res.code).toBe(1);
  expect(res.stderr).toContain(
    `server certificate fingerprint ${maintenance.serverFingerprint.replaceAll(":", "")} does not match --cert-fingerprint ${wrong.replaceAll(":", "")}; nothing was sent`,
  );
  expect(maintenance.calls.length).toBe(before);
  expect(maintenanceApplied).toHaveLength(1);
});
