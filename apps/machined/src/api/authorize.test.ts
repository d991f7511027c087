import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApplyMode, MachineService } from "@bronze/api";
import { waitFor } from "@bronze/testing";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { startApiServer } from "./api-server.ts";
import { makeFixture } from "./testing/api-fixture.ts";

const f = makeFixture();
afterAll(() => f.cleanup());

async function codeOf(p: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = ConnectError.from(e);
    return { code: err.code, message: err.rawMessage };
  }
  throw new Error("expected a failure");
}

test("a call without a role is Unauthenticated", async () => {
  const r = await codeOf(f.client(null).version({}));
  expect(r.code).toBe(Code.Unauthenticated);
  expect(r.message).toContain("x-bronze-role");
});

test("an unknown role is Unauthenticated", async () => {
  const r = await codeOf(f.client("os:root" as never).version({}));
  expect(r.code).toBe(Code.Unauthenticated);
  expect(r.message).toContain('"os:root"');
});

test("a role not allowed is PermissionDenied naming the method and the role", async () => {
  const r = await codeOf(f.client("os:reader").reboot({}));
  expect(r.code).toBe(Code.PermissionDenied);
  expect(r.message).toBe("os:reader may not call /bronze.machine.v1.MachineService/Reboot");
  expect(f.sequencer.calls).toEqual([]);
});

test("streaming methods are checked too, before any message", async () => {
  const r = await codeOf(
    (async () => {
      for await (const _ of f.client("os:operator").read({ path: "/etc/hosts" })) {
        // nothing
      }
    })(),
  );
  expect(r.code).toBe(Code.PermissionDenied);
  expect(r.message).toContain("os:operator may not call /bronze.machine.v1.MachineService/Read");
});

test("the impersonator calls nothing; allowed roles pass", async () => {
  expect((await codeOf(f.client("os:impersonator").version({}))).code).toBe(Code.PermissionDenied);
  expect((await f.client("os:reader").version({})).platform).toBe("container");
  await f.client("os:operator").reboot({});
  expect(f.sequencer.calls).toEqual(["reboot"]);
});

test("a maintenance call is served only while the node is in maintenance mode, maintenance methods only", async () => {
  let maintenance = true;
  const m = makeFixture({ maintenance: () => maintenance });
  try {
    expect((await m.client("os:maintenance" as never).version({})).platform).toBe("container");
    expect((await codeOf(m.client("os:maintenance" as never).reboot({}))).code).toBe(Code.PermissionDenied);
    maintenance = false;
    const late = await codeOf(m.client("os:maintenance" as never).version({}));
    expect(late.code).toBe(Code.FailedPrecondition);
    expect(late.message).toContain("the node has left maintenance mode");
  } finally {
    await m.cleanup();
  }
});

// C1 of the security review: the real maintenance apid (its own process, TLS on 127.0.0.1) in front of
// machined's real API server. A config applied through it makes the node configured; until apid is
// replaced it keeps serving, unauthenticated: it must get nothing more from machined.
test("the maintenance apid outliving maintenance mode: its unauthenticated calls are refused", async () => {
  const testdata = join(import.meta.dir, "../../../../libs/config-schema/testdata");
  const worker = readFileSync(join(testdata, "worker.yaml"), "utf8");
  const other = worker.replace("hostname: worker-1", "hostname: attacker");
  const m = makeFixture({}, { maintenance: true });
  const server = await startApiServer({
    socketPath: join(m.dir, "machine.sock"),
    context: m.ctx,
    closeGraceMs: 500,
  });
  const apid = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "../../../apid/src/main.ts"),
      "--maintenance",
      "--machined-socket",
      join(m.dir, "machine.sock"),
      "--listen",
      "127.0.0.1:0",
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  try {
    const reader = apid.stdout.getReader();
    let out = "";
    const port = await waitFor(
      async () => {
        const { value } = await reader.read();
        out += new TextDecoder().decode(value);
        return /apid: serving on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      },
      { what: "the maintenance apid serving", timeoutMs: 20_000, intervalMs: 1 },
    );
    const baseUrl = `https://127.0.0.1:${port}`;
    const nodeOptions = { rejectUnauthorized: false };
    const grpc = createClient(MachineService, createGrpcTransport({ baseUrl, nodeOptions }));
    const connect = createClient(
      MachineService,
      createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions, useBinaryFormat: false }),
    );

    // In maintenance mode: the config goes in, and the node leaves maintenance mode.
    expect(m.ctx.maintenance()).toBe(true);
    const applied = await grpc.applyConfiguration({
      data: new TextEncoder().encode(worker),
      mode: ApplyMode.NO_REBOOT,
    });
    expect(applied.modeDetails).toBe("Applied without a reboot: the node leaves maintenance mode");
    expect(m.ctx.maintenance()).toBe(false);

    // The same apid, a moment later: no diff of the config in force (its secrets), no new config.
    for (const client of [grpc, connect]) {
      const dryRun = await codeOf(
        client.applyConfiguration({
          data: new TextEncoder().encode(other),
          mode: ApplyMode.NO_REBOOT,
          dryRun: true,
        }),
      );
      expect(dryRun.code).toBe(Code.FailedPrecondition);
      expect(dryRun.message).toContain("the node has left maintenance mode");
      expect(dryRun.message).not.toContain("token");
      const apply = await codeOf(
        client.applyConfiguration({ data: new TextEncoder().encode(other), mode: ApplyMode.NO_REBOOT }),
      );
      expect(apply.code).toBe(Code.FailedPrecondition);
      expect((await codeOf(client.version({}))).code).toBe(Code.FailedPrecondition);
    }
    expect(m.store.current()).toBe(worker);
    expect(m.hostnames).toEqual(["worker-1"]);
  } finally {
    apid.kill("SIGTERM");
    await apid.exited;
    await server.close();
    await m.cleanup();
  }
});
