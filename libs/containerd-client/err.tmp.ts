import { ContainerdClient, startTestContainerd } from "./src/index.ts";
const cd = await startTestContainerd();
try {
const c = await ContainerdClient.connect({ socketPath: cd.socketPath, namespace: "x" });
const inNs = c.withNamespace("busy");
await inNs.containers.create({ id: "keep", spec: { ociVersion: "1.0.2" } });
const busy = await c.namespaces.remove("busy").catch((e) => e);
console.log(busy.code, busy.message);
await cd.stopDaemon({ kill: true });
for (let i = 0; i < 3; i++) { const e = await c.version().catch((e) => e); console.log(e.code, e.message, e.cause?.cause?.code); }
await cd.startDaemon();
console.log(await c.version());
} finally { await cd.stop(); }
