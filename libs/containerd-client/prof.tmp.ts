import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { ContainerdClient, buildOciImageTarball, makeBusyboxRootfs, startTestContainerd } from "./src/index.ts";
const cd = await startTestContainerd();
try {
const client = await ContainerdClient.connect({ socketPath: cd.socketPath, namespace: "prof" });
const dir = mkdtempSync("/tmp/probe/bbx-");
const tar = buildOciImageTarball({ rootfs: makeBusyboxRootfs(dir), name: "bronze/busybox:prof" });
const [img] = await client.images.import(tar.data);
for (let i = 0; i < 6; i++) {
  const marks: [string, number][] = [];
  let t = performance.now();
  const mark = (s: string) => { const n = performance.now(); marks.push([s, Math.round((n - t) * 10) / 10]); t = n; };
  const id = `p${i}`;
  await client.createContainer({ id, image: img!.name, args: ["/bin/true"] }); mark("createContainer");
  const c = await client.containers.get(id); mark("get");
  const mounts = await client.snapshots.mounts(id); mark("mounts");
  await client.tasks.create(id, { rootfs: mounts, logPath: join(cd.dir, "x.log") }); mark("task.create");
  await client.tasks.start(id); mark("task.start");
  await client.tasks.wait(id); mark("wait");
  await client.tasks.remove(id); mark("task.delete");
  await client.containers.remove(id); mark("container.delete");
  await client.snapshots.remove(id); mark("snap.remove");
  console.log(marks.map(([s, n]) => `${s}=${n}`).join(" "));
}
const ctr = (args: string[]) => { const t = performance.now(); const p = Bun.spawnSync(["ctr", "--address", cd.socketPath, "-n", "prof", ...args]); return [performance.now() - t, p.exitCode]; };
for (let i = 0; i < 4; i++) console.log("ctr run --rm", ctr(["run", "--rm", img!.name, `c${i}`, "/bin/true"]));
client.close();
} finally { await cd.stop(); }
