// Snapshots streamed from a real etcd, checked by Debian's etcdctl.
import { beforeAll, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { useTestCluster } from "../test/etcd-fixture.ts";
import { isEtcdError } from "./errors.ts";

const fixture = useTestCluster({ members: 1, tls: true });

beforeAll(async () => {
  // Enough data for the snapshot to come in several pieces of 32 KiB.
  const value = "x".repeat(4096);
  for (let i = 0; i < 64; i++) await fixture.client.put(`bronze/snap/${i}`, `${i}:${value}`);
}, 30_000);

interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

async function snapshotStatus(file: string): Promise<SnapshotStatus> {
  const { cluster } = fixture;
  const r = await cluster.etcdctl(["snapshot", "status", file, "-w", "json"]);
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout) as SnapshotStatus;
}

test("a snapshot streamed to a file is what etcdctl saves: same database, same hash", async () => {
  const { cluster, client } = fixture;
  const before = await client.status();
  const file = join(cluster.dir, "client.db");
  const writer = Bun.file(file).writer();
  let pieces = 0;
  for await (const piece of client.snapshot()) {
    writer.write(piece);
    pieces++;
  }
  await writer.end();
  expect(pieces).toBeGreaterThan(2);
  const size = statSync(file).size;
  // the database, then its SHA-256; taking it commits what was pending, so the file may have grown
  const after = await client.status();
  expect(size).toBe(after.dbSize + 32);
  expect(before.dbSize).toBeLessThanOrEqual(after.dbSize);

  const ours = await snapshotStatus(file);
  expect(ours.totalSize).toBe(size - 32);
  expect(ours.revision).toBe(65);

  const theirsFile = join(cluster.dir, "etcdctl.db");
  const saved = await cluster.etcdctl(["snapshot", "save", theirsFile]);
  expect(saved.exitCode).toBe(0);
  const theirs = await snapshotStatus(theirsFile);
  expect(ours.hash).toBe(theirs.hash);
  expect(ours.revision).toBe(theirs.revision);
  expect(ours.totalKey).toBe(theirs.totalKey);

  // restore checks the SHA-256 etcd appended
  const restored = await cluster.etcdctl([
    "snapshot",
    "restore",
    file,
    `--data-dir=${join(cluster.dir, "restored")}`,
    "--name=r0",
    "--initial-cluster=r0=http://127.0.0.1:1",
    "--initial-advertise-peer-urls=http://127.0.0.1:1",
  ]);
  expect(restored.exitCode).toBe(0);
});

test("a consumer that stops early ends the stream; the client goes on", async () => {
  const { client } = fixture;
  let got = 0;
  for await (const piece of client.snapshot()) {
    got += piece.length;
    break;
  }
  expect(got).toBeGreaterThan(0);
  expect(await client.get("bronze/snap/1")).toStartWith("1:");
});

test("a snapshot aborted by its signal fails with Canceled", async () => {
  const { client } = fixture;
  const controller = new AbortController();
  let caught: unknown;
  try {
    for await (const _ of client.snapshot({ signal: controller.signal })) controller.abort();
  } catch (e) {
    caught = e;
  }
  expect(isEtcdError(caught, "Canceled")).toBe(true);
});
