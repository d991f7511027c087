import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";
import { checkedSnapshot, upload } from "./etcd.ts";

let server: FakeApid;
const io = createTestIo();
let admin = "";
let two = "";
const removed: string[] = [];
/** A real etcd 3.4 snapshot (etcdctl snapshot save of a one-member etcd holding two keys). */
const fixture = readFileSync(join(import.meta.dir, "../testing/etcd-snapshot.fixture.db"));
/** Bytes that are no snapshot. */
const junk = new Uint8Array(5 * 2 ** 20).map((_, i) => i % 251);
/** What the fake node's EtcdSnapshot streams. */
let served: Uint8Array = junk;
const uploads: string[] = [];
let held = Buffer.alloc(0);

beforeAll(async () => {
  server = await startFakeApid({
    bootstrap: (req) => {
      if (req.recoverEtcd) {
        uploads.push(`bootstrap recover (${held.length} bytes held)`);
        return {};
      }
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
      for (let i = 0; i < served.length; i += 65536) yield { data: served.subarray(i, i + 65536) };
    },
    etcdRecover: (req) => {
      uploads.push(`part ${req.offset}+${req.data.length}${req.last ? " last" : ""}`);
      if (req.offset === 0n) held = Buffer.alloc(0);
      held = Buffer.concat([held, req.data]);
      const digest = createHash("sha256")
        .update(held.subarray(0, held.length - 32))
        .digest("hex");
      return { size: BigInt(held.length), sha256: req.last ? digest : "" };
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

test("etcd snapshot writes the stream to the file, with progress, once etcd's own SHA-256 checks out", async () => {
  served = junk;
  const damaged = join(io.dir, "damaged.snapshot");
  const bad = await osctl(io, "--osconfig", admin, "etcd", "snapshot", damaged);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("snapshot: 4 MiB");
  expect(bad.stderr).toContain("the snapshot received is damaged: not an etcd snapshot");
  expect(existsSync(damaged)).toBe(false);
  expect(existsSync(`${damaged}.part`)).toBe(false);

  served = fixture;
  const path = join(io.dir, "etcd.snapshot");
  const r = await osctl(io, "--osconfig", admin, "etcd", "snapshot", path);
  expect(r.code).toBe(0);
  expect(readFileSync(path)).toEqual(fixture);
  // the database's SHA-256, which etcd's trailer (the last 32 bytes) recorded and osctl checked
  const db = fixture.subarray(0, fixture.length - 32);
  expect(r.stderr).toContain(
    `database sha256 ${createHash("sha256").update(db).digest("hex")} (etcd's, checked)`,
  );
});

test("bootstrap --recover-from checks the file, uploads it, then bootstraps on it", async () => {
  const bad = join(io.dir, "junk.snapshot");
  writeFileSync(bad, junk);
  const refused = await osctl(io, "--osconfig", admin, "bootstrap", "--recover-from", bad);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`--recover-from ${bad}: not an etcd snapshot`);
  const missing = await osctl(io, "--osconfig", admin, "bootstrap", "--recover-from", join(io.dir, "nope"));
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("no such file");
  expect(uploads).toEqual([]); // nothing was sent for either

  const good = join(io.dir, "good.snapshot");
  writeFileSync(good, fixture);
  const r = await osctl(io, "--osconfig", admin, "bootstrap", "--recover-from", good);
  expect(r.stderr).toContain("etcd recovered from");
  expect(r.code).toBe(0);
  expect(uploads).toEqual([
    `part 0+${fixture.length} last`,
    `bootstrap recover (${fixture.length} bytes held)`,
  ]);
  expect(r.stderr).toContain("recover-from: uploaded 0.0 MiB of 0.0 MiB");
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

test("the upload goes in parts, in order, the last one marked; a node holding other bytes is an error", async () => {
  const path = join(io.dir, "parts.snapshot");
  writeFileSync(path, fixture);
  const snapshot = await checkedSnapshot(path);
  const parts: string[] = [];
  let received = Buffer.alloc(0);
  await upload(
    snapshot,
    async (part) => {
      parts.push(`${part.offset}+${part.data.length}${part.last ? " last" : ""}`);
      received = Buffer.concat([received, part.data]);
      return { sha256: part.last ? snapshot.sha256 : "" };
    },
    io,
    8192,
  );
  expect(parts).toEqual(["0+8192", "8192+8192", `16384+${fixture.length - 16384} last`]);
  expect(received).toEqual(fixture);
  await expect(upload(snapshot, async () => ({ sha256: "00" }), io, 8192)).rejects.toThrow(
    "the node holds a different snapshot (sha256 00)",
  );
});
