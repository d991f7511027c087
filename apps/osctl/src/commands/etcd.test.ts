import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";

let server: FakeApid;
const io = createTestIo();
let admin = "";
let two = "";
const removed: string[] = [];
const snapshotBytes = new Uint8Array(5 * 2 ** 20).map((_, i) => i % 251);

beforeAll(async () => {
  server = await startFakeApid({
    bootstrap: () => {
      throw new ConnectError(
        "bootstrap refused: etcd is already bootstrapped on this node",
        Code.AlreadyExists,
      );
    },
    etcdMembers: () => ({
      members: [
        {
          id: 0x8e9e05c52164694dn,
          hostname: "cp-1",
          peerUrls: ["https://10.5.0.2:2380"],
          clientUrls: ["https://10.5.0.2:2379"],
          isLearner: false,
        },
        { id: 0x2an, hostname: "", peerUrls: ["https://10.5.0.3:2380"], clientUrls: [], isLearner: true },
      ],
    }),
    etcdStatus: () => ({
      state: "bootstrapped: a new cluster of one member",
      storage: "EPHEMERAL (/var/lib/etcd)",
      memberId: 0x8e9e05c52164694dn,
      leaderId: 0x8e9e05c52164694dn,
      version: "3.4.23",
      dbSize: 20480n,
      dbSizeInUse: 16384n,
      raftIndex: 7n,
    }),
    async *etcdSnapshot() {
      for (let i = 0; i < snapshotBytes.length; i += 65536)
        yield { data: snapshotBytes.subarray(i, i + 65536) };
    },
    etcdRemoveMember: (req) => {
      removed.push(`${req.member} force=${req.force}`);
      if (!req.force)
        throw new ConnectError(
          "etcd remove-member refused: refused: without cp-2, 1 of 2 voting members would be healthy",
          Code.FailedPrecondition,
        );
      return {};
    },
    etcdAlarmList: () => ({ alarms: [{ memberId: 0x2an, alarm: "NOSPACE" }] }),
  });
  admin = join(io.dir, "admin");
  writeFileSync(admin, server.osconfig("os:admin", [server.endpoint], ["n1"]));
  two = join(io.dir, "two");
  writeFileSync(two, server.osconfig("os:admin", [server.endpoint], ["n1", "n2"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("bootstrap: one node only; a refusal is printed with the node and exits 1", async () => {
  const many = await osctl(io, "--osconfig", two, "bootstrap");
  expect(many.code).toBe(2);
  expect(many.stderr).toContain("bootstrap is done on one control plane");
  const refused = await osctl(io, "--osconfig", admin, "bootstrap");
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("etcd is already bootstrapped on this node");
});

test("etcd members as a table (ids in hex, unstarted members named so) and as JSON", async () => {
  const table = await osctl(io, "--osconfig", admin, "etcd", "members");
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(
    /8e9e05c52164694d\s+cp-1\s+https:\/\/10\.5\.0\.2:2380\s+https:\/\/10\.5\.0\.2:2379\s+no/,
  );
  expect(table.stdout).toMatch(/2a\s+\(unstarted\)\s+https:\/\/10\.5\.0\.3:2380\s+yes/);
  const json = await osctl(io, "--osconfig", admin, "etcd", "members", "-o", "json");
  const data = JSON.parse(json.stdout) as { members: { id: string; hostname: string }[] }[];
  expect(data[0]?.members.map((m) => m.id)).toEqual(["8e9e05c52164694d", "2a"]);
});

test("etcd status shows the leader, sizes and storage", async () => {
  const r = await osctl(io, "--osconfig", admin, "etcd", "status");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("this member");
  expect(r.stdout).toContain("3.4.23");
  expect(r.stdout).toContain("EPHEMERAL (/var/lib/etcd)");
});

test("etcd snapshot writes the stream to the file, with progress and its sha256", async () => {
  const path = join(io.dir, "etcd.snapshot");
  const r = await osctl(io, "--osconfig", admin, "etcd", "snapshot", path);
  expect(r.code).toBe(0);
  expect(readFileSync(path)).toEqual(Buffer.from(snapshotBytes));
  expect(r.stderr).toContain("snapshot: 4 MiB");
  expect(r.stderr).toContain(`sha256 ${createHash("sha256").update(snapshotBytes).digest("hex")}`);
});

test("remove-member refused without --force, done with it; alarm list", async () => {
  const refused = await osctl(io, "--osconfig", admin, "etcd", "remove-member", "cp-2");
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("1 of 2 voting members would be healthy");
  expect((await osctl(io, "--osconfig", admin, "etcd", "remove-member", "cp-2", "--force")).code).toBe(0);
  expect(removed).toEqual(["cp-2 force=false", "cp-2 force=true"]);
  const alarms = await osctl(io, "--osconfig", admin, "etcd", "alarm", "list");
  expect(alarms.stdout).toMatch(/2a\s+NOSPACE/);
});
