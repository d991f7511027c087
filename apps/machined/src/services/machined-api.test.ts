import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { MachineService, ROLE_HEADER } from "@bronze/api";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { makeFixture } from "../api/testing/api-fixture.ts";
import { machineApiService } from "./machined-api.ts";

const f = makeFixture();
afterAll(() => f.cleanup());

test("the API runs as the supervised 'machined' service: healthy once serving, socket gone once stopped", async () => {
  const socketPath = join(f.dir, "machined", "machine.sock");
  f.supervisor.register(machineApiService({ socketPath, context: f.ctx, closeGraceMs: 500 }));
  f.supervisor.start("machined");
  const status = await f.supervisor.waitFor(
    "machined",
    (s) => s.state === "Running" && s.health?.healthy === true,
  );
  expect(status.up).toBe(true);
  const transport = createGrpcTransport({
    baseUrl: "http://localhost",
    nodeOptions: { createConnection: () => connect(socketPath) },
    interceptors: [
      (next) => (req) => {
        req.header.set(ROLE_HEADER, "os:reader");
        return next(req);
      },
    ],
  });
  const list = await createClient(MachineService, transport).serviceList({});
  expect(list.services.find((s) => s.id === "machined")?.state).toBe("Running");
  await f.supervisor.stop("machined");
  expect(f.supervisor.status("machined").state).toBe("Finished");
  expect(existsSync(socketPath)).toBe(false);
  const log = f.supervisor
    .logs("machined")
    .tail()
    .map((l) => l.text);
  expect(log).toContain(`serving the machine API on ${socketPath}`);
});
