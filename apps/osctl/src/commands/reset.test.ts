import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResetRequest } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";

let server: FakeApid;
const io = createTestIo();
let admin = "";
const resets: Array<Pick<ResetRequest, "graceful" | "reboot" | "systemLabelsToWipe" | "wipeMode" | "force">> =
  [];
const wipes: string[] = [];

beforeAll(async () => {
  server = await startFakeApid({
    reset: (req) => {
      resets.push({
        graceful: req.graceful,
        reboot: req.reboot,
        systemLabelsToWipe: req.systemLabelsToWipe,
        wipeMode: req.wipeMode,
        force: req.force,
      });
      return { wiping: req.systemLabelsToWipe.map((l) => `${l} (/dev/vda)`) };
    },
    wipeDisk: (req) => {
      wipes.push(`${req.device} ${req.method}`);
      if (req.device === "/dev/vda")
        throw new ConnectError("/dev/vda is the system disk", Code.FailedPrecondition);
      return { bytesZeroed: 2097152n };
    },
  });
  admin = join(io.dir, "admin");
  writeFileSync(admin, server.osconfig("os:admin", [server.endpoint], ["n1"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("reset sends the flags as Talos spells them: --graceful=false, labels comma-separated or repeated", async () => {
  const r = await osctl(
    io,
    ...["--osconfig", admin, "reset", "--graceful=false", "--reboot"],
    ...["--system-labels-to-wipe", "STATE,EPHEMERAL", "--wipe-mode", "system-disk"],
  );
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(
    "n1: resetting: wiping STATE (/dev/vda), EPHEMERAL (/dev/vda), then rebooting (it comes back in maintenance mode when STATE is wiped)",
  );
  const plain = await osctl(
    io,
    ...["--osconfig", admin, "reset", "--system-labels-to-wipe", "EPHEMERAL", "--force"],
  );
  expect(plain.code).toBe(0);
  expect(plain.stderr).toContain("then powering off");
  expect(resets).toEqual([
    {
      graceful: false,
      reboot: true,
      systemLabelsToWipe: ["STATE", "EPHEMERAL"],
      wipeMode: "system-disk",
      force: false,
    },
    { graceful: true, reboot: false, systemLabelsToWipe: ["EPHEMERAL"], wipeMode: "all", force: true },
  ]);
  const bad = await osctl(io, "--osconfig", admin, "reset", "--graceful=maybe");
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('--graceful: "maybe" is not true or false');
  expect(resets).toHaveLength(2);
});

test("wipe disk: the bytes zeroed, or the node's refusal", async () => {
  const ok = await osctl(io, "--osconfig", admin, "wipe", "disk", "/dev/vdb", "--method", "zeroes");
  expect([ok.code, ok.stdout]).toEqual([0, "n1: /dev/vdb wiped (2097152 bytes zeroed)\n"]);
  const refused = await osctl(io, "--osconfig", admin, "wipe", "disk", "/dev/vda");
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("n1: failed precondition: /dev/vda is the system disk");
  expect(wipes).toEqual(["/dev/vdb zeroes", "/dev/vda fast"]);
});
