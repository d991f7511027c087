import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { ContainerdClient, buildOciImageTarball, makeBusyboxRootfs, startTestContainerd } from "./src/index.ts";
const cd = await startTestContainerd();
try {
const client = await ContainerdClient.connect({ socketPath: cd.socketPath, namespace: "prof" });
const dir = mkdtempSync("/tmp/probe/bbx-");
const tar = buildOciImageTarball({ rootfs: makeBusyboxRootfs(dir), name: "bronze/busybox:prof" });
const [img] = await client.images.import(tar.data);
const spec = (await import("./src/runtime-spec.ts")).buildRuntimeSpec({ id: "x", namespace: "prof", args: ["/bin/true"] });
for (let i = 0; i < 8; i++) {
  const marks: [string, number][] = [];
  let t = performance.now();
  const t0 = t;
  const mark = (s: string) => { const n = performance.now(); marks.push([s, Math.round((n - t) * 10) / 10]); t = n; };
  const id = `p${i}`;
  await client.containers.get(id).catch(() => {}); mark("cget");
  const r = await client.images.resolve(img!.name); mark("resolve");
  await client.snapshots.stat(r.chainId); mark("stat");
  const lease = await client.leases.create(); mark("lease");
  const mounts = await client.snapshots.prepare(id, r.chainId, { lease: lease.id }); mark("prepare");
  await client.containers.create({ id, spec: { ...spec, linux: { ...spec.linux, cgroupsPath: `/prof/${id}` } }, image: img!.name, snapshotter: "overlayfs", snapshotKey: id }, { lease: lease.id }); mark("ccreate");
  await client.leases.remove(lease.id); mark("lease.rm");
  await client.tasks.create(id, { rootfs: mounts }); mark("task.create");
  await client.tasks.start(id); mark("task.start");
  await client.tasks.wait(id); mark("wait");
  await client.tasks.remove(id); mark("task.delete");
  await client.containers.remove(id); mark("container.delete");
  await client.snapshots.remove(id).catch(() => {}); mark("snap.remove");
  console.log(Math.round(performance.now() - t0), marks.map(([s, n]) => `${s}=${n}`).join(" "));
}
const ctr = (args: string[]) => { const t = performance.now(); const p = Bun.spawnSync(["ctr", "--address", cd.socketPath, "-n", "prof", ...args]); return [Math.round(performance.now() - t), p.exitCode]; };
for (let i = 0; i < 4; i++) console.log("ctr run --rm", ctr(["run", "--rm", img!.name, `c${i}`, "/bin/true"]));
for (let i = 0; i < 3; i++) console.log("ctr version", ctr(["version"]));
client.close();
} finally { await cd.stop(); }
