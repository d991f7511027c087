import { gzipSync } from "node:zlib";
import { ContainerdClient, startTestContainerd } from "./src/index.ts";
import { busyboxImage } from "./test/fixtures.ts";
const cd = await startTestContainerd();
try {
const c = await ContainerdClient.connect({ socketPath: cd.socketPath, namespace: "x" });
const tar = busyboxImage();
const e = await c.images.import(gzipSync(tar.data).subarray(0, 2000)).catch((e) => e);
console.log(e.code, e.message);
const z = gzipSync(tar.data); z[500] ^= 0xff;
const e2 = await c.images.import(z).catch((e) => e);
console.log(e2.code, e2.message);
} finally { await cd.stop(); }
