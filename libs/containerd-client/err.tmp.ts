import { ContainerdClient, startTestContainerd } from "./src/index.ts";
import { busyboxImage } from "./test/fixtures.ts";
const cd = await startTestContainerd();
try {
const c = await ContainerdClient.connect({ socketPath: cd.socketPath, namespace: "x" });
await c.images.import(busyboxImage().data);
await c.createContainer({ id: "s2", image: "docker.io/bronze/busybox:test", args: ["/bin/sleep", "60"] });
await c.startTask("s2");
const w = await c.tasks.remove("s2").catch((e) => e);
console.log(w.code, w.message);
const x = await c.tasks.create("s2").catch((e) => e);
console.log(x.code, x.message);
await c.tasks.kill("s2", 9); await c.tasks.wait("s2");
for (const f of [() => c.tasks.pids("s2"), () => c.tasks.metrics("s2"), () => c.tasks.start("s2"), () => c.tasks.exec("s2", "e", {args: ["/bin/true"]})]) { const e = await f().then(() => "ok", (e) => e); console.log(e.code, e.message); }
} finally { await cd.stop(); }
