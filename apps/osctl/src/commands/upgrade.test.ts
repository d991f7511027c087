import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";
import { slotProgress, upgrade } from "./upgrade.ts";

let server: FakeApid;
const io = createTestIo();
let admin = "";

/** A simulated node: after Upgrade, down for two Version polls, then up on `lands` with `last`. */
interface SimNode {
  tag: string;
  slot: string;
  last: string;
  down: number;
  lands?: { tag: string; slot: string; last: string };
}
const nodes = new Map<string, SimNode>();
const sim = (name: string) => {
  let n = nodes.get(name);
  if (!n) {
    n = { tag: "1.0.0", slot: "A", last: "", down: 0 };
    nodes.set(name, n);
  }
  return n;
};
const requests: Array<{ node: string; image: string; stage: boolean }> = [];

beforeAll(async () => {
  server = await startFakeApid({
    upgrade: (req, ctx) => {
      const node = ctx.requestHeader.get("x-bronze-node") ?? "self";
      requests.push({ node, image: req.image, stage: req.stage });
      if (node === "diskless")
        throw new ConnectError(
          "upgrade refused: this node did not boot from an installed disk",
          Code.FailedPrecondition,
        );
      const n = sim(node);
      if (!req.stage) n.down = 2;
      return {
        ack: `slot B holds 2.0.0: ${req.stage ? "it boots at the next reboot" : "rebooting into it"}`,
        version: "2.0.0",
        slot: "B",
      };
    },
    version: (_req, ctx) => {
      const n = sim(ctx.requestHeader.get("x-bronze-node") ?? "self");
      if (n.down > 0) {
        n.down--;
        if (n.down === 0 && n.lands) Object.assign(n, n.lands);
        throw new ConnectError("connect ECONNREFUSED", Code.Unavailable);
      }
      return { version: { tag: n.tag }, bootedSlot: n.slot, lastUpgrade: n.last, platform: "qemu" };
    },
  });
  admin = join(io.dir, "admin");
  writeFileSync(admin, server.osconfig("os:admin", [server.endpoint], ["n1"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("slotProgress: committed on the expected slot and version is done; a rollback of that slot is a failure", () => {
  const want = { slot: "B", version: "2.0.0" };
  expect(
    slotProgress(
      { version: { tag: "2.0.0" }, bootedSlot: "B", lastUpgrade: "upgrade to 2.0.0 (slot B) committed" },
      want,
    ),
  ).toEqual({ done: true });
  expect(
    slotProgress(
      { version: { tag: "2.0.0" }, bootedSlot: "B", lastUpgrade: "upgrade to 2.0.0 (slot B) in progress" },
      want,
    ),
  ).toMatchObject({ waiting: expect.stringContaining("not committed yet") });
  expect(
    slotProgress(
      {
        version: { tag: "1.0.0" },
        bootedSlot: "A",
        lastUpgrade: "upgrade to 2.0.0 (slot B) rolled back: why",
      },
      want,
    ),
  ).toEqual({ failed: "upgrade to 2.0.0 (slot B) rolled back: why" });
  expect(slotProgress({ version: { tag: "1.0.0" }, bootedSlot: "A", lastUpgrade: "" }, want)).toMatchObject({
    waiting: expect.stringContaining("not rebooted yet"),
  });
});

test("--image is required; --wait with --stage is refused", async () => {
  const none = await osctl(io, "--osconfig", admin, "upgrade");
  expect(none.code).not.toBe(0);
  expect(none.stderr).toContain("--image is required");
  const both = await osctl(io, "--osconfig", admin, "upgrade", "--image", "http://x", "--stage", "--wait");
  expect(both.code).not.toBe(0);
  expect(both.stderr).toContain("--wait and --stage");
  expect(requests).toEqual([]);
});

test("upgrade --wait: progress while the node reboots, done when it runs the new slot, committed", async () => {
  sim("good").lands = { tag: "2.0.0", slot: "B", last: "upgrade to 2.0.0 (slot B) committed" };
  sim("bad").lands = {
    tag: "1.0.0",
    slot: "A",
    last: "upgrade to 2.0.0 (slot B) rolled back: slot B's system never reached machined",
  };
  io.err.length = 0;
  io.out.length = 0;
  const code = await upgrade(
    { image: "http://10.0.2.2:8080/v2", wait: true, intervalMs: 10 },
    { osconfig: admin, nodes: ["good", "bad", "diskless"] },
    io,
  );
  expect(code).toBe(1);
  expect(requests.map((r) => r.node).sort()).toEqual(["bad", "diskless", "good"]);
  const err = io.err.join("");
  expect(err).toContain("good: slot B holds 2.0.0: rebooting into it\n");
  expect(err).toContain("good: rebooting (unavailable: connect ECONNREFUSED)\n");
  expect(err).toContain(
    "diskless: failed precondition: upgrade refused: this node did not boot from an installed disk",
  );
  expect(err).toMatch(
    /bad: upgrade to 2\.0\.0 \(slot B\) rolled back: slot B's system never reached machined \(back on 1\.0\.0, slot A, after \d+s\)/,
  );
  expect(io.out.join("")).toMatch(/^good: running 2\.0\.0 from slot B \(committed, \d+s\)\n$/);
});

test("a staged upgrade returns at once, without waiting", async () => {
  requests.length = 0;
  const res = await osctl(
    io,
    "--osconfig",
    admin,
    "-n",
    "staged",
    "upgrade",
    "--image",
    "https://mirror/v2",
    "--stage",
  );
  expect(res.code).toBe(0);
  expect(res.stderr).toContain("staged: slot B holds 2.0.0: it boots at the next reboot");
  expect(requests).toEqual([{ node: "staged", image: "https://mirror/v2", stage: true }]);
});
