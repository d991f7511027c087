// Figures for @bronze/containerd-client against containerd's own `ctr`, in the same run, on a
// containerd started for the bench (Debian's containerd + runc):
//   1. run a container to completion (create, start, wait, delete; busybox `true`) vs `ctr run --rm`
//   2. unary round trip (Version), p50/p99 over 1000 calls
//   3. import of a ~20 MB image tarball vs `ctr images import`
// Usage: bun bench/containerd.bench.ts [--runs N] [--imports N]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ContainerdClient } from "../src/client.ts";
import { buildOciImageTarball } from "../src/oci-image-tarball.ts";
import { makeBusyboxRootfs } from "../src/testing/busybox-rootfs.ts";
import { startTestContainerd } from "../src/testing/containerd-harness.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const RUNS = arg("--runs", 20);
const IMPORTS = arg("--imports", 5);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
    min: s[0] ?? Number.NaN,
    n: s.length,
  };
}
function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536)
    out.set(crypto.getRandomValues(new Uint8Array(Math.min(65536, n - i))), i);
  return out;
}
const ms = (v: number) => `${v.toFixed(v < 10 ? 3 : 1)} ms`;

const scratch = mkdtempSync(join(tmpdir(), "containerd-bench-"));
const containerd = await startTestContainerd();
const client = await ContainerdClient.connect({
  socketPath: containerd.socketPath,
  namespace: "bench",
  snapshotter: containerd.snapshotter,
});

function ctr(args: string[]): number {
  const t = performance.now();
  const p = Bun.spawnSync(["ctr", "--address", containerd.socketPath, "-n", "bench", ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const elapsed = performance.now() - t;
  if (p.exitCode !== 0) throw new Error(`ctr ${args.join(" ")} failed: ${p.stderr.toString()}`);
  return elapsed;
}

try {
  console.log(
    `containerd ${(await client.version()).version}, snapshotter ${containerd.snapshotter}, bun ${Bun.version}`,
  );

  // 2. Unary round trip.
  for (let i = 0; i < 50; i++) await client.version();
  const rtt: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await client.version();
    rtt.push(performance.now() - t);
  }
  const v = stats(rtt);

  // 1. Run to completion, lib and ctr interleaved so that both see the same machine load.
  const busybox = buildOciImageTarball({
    rootfs: makeBusyboxRootfs(join(scratch, "busybox")),
    name: "bronze/busybox:bench",
  });
  await client.images.import(busybox.data);
  const log = join(scratch, "run.log");
  const lib: number[] = [];
  const viaCtr: number[] = [];
  for (let i = -2; i < RUNS; i++) {
    let t = performance.now();
    const r = await client.run({
      id: `lib-${i + 2}`,
      image: busybox.name,
      args: ["/bin/true"],
      logPath: log,
    });
    if (r.exitStatus !== 0) throw new Error(`busybox true exited ${r.exitStatus}`);
    const libMs = performance.now() - t;
    t = performance.now();
    const ctrMs = ctr(["run", "--rm", busybox.name, `ctr-${i + 2}`, "/bin/true"]);
    if (i >= 0) {
      lib.push(libMs);
      viaCtr.push(ctrMs);
    }
  }
  const runLib = stats(lib);
  const runCtr = stats(viaCtr);

  // Where a lib run's time goes: the same steps as run(), timed one by one.
  const phases: Record<string, number[]> = {};
  for (let i = 0; i < Math.min(RUNS, 10); i++) {
    const id = `phases-${i}`;
    let t = performance.now();
    const mark = (name: string) => {
      const now = performance.now();
      phases[name] = [...(phases[name] ?? []), now - t];
      t = now;
    };
    await client.createContainer({ id, image: busybox.name, args: ["/bin/true"] });
    mark("createContainer (lease, snapshot, record)");
    const container = await client.containers.get(id);
    const rootfs = await client.snapshots.mounts(container.snapshotKey);
    t = performance.now();
    await client.tasks.create(id, { rootfs, logPath: log });
    mark("tasks.create (shim start + runc create)");
    await client.tasks.start(id);
    mark("tasks.start (runc start)");
    await client.tasks.wait(id);
    mark("tasks.wait");
    await client.tasks.remove(id);
    mark("tasks.remove (runc delete + shim exit)");
    await Promise.all([client.containers.remove(id), client.snapshots.remove(id).catch(() => {})]);
    mark("record + snapshot removal");
  }

  // 3. Import of a ~20 MB image: busybox plus 20 MB of random bytes (random, so gzip cannot shrink it).
  // Every import gets a tarball of its own (fresh content), and the image is removed (garbage
  // collected synchronously) between imports, so no import finds blobs or snapshots already there.
  const importLib: number[] = [];
  const importCtr: number[] = [];
  let tarSize = 0;
  for (let i = 0; i < IMPORTS; i++) {
    for (const tool of ["lib", "ctr"] as const) {
      const root = makeBusyboxRootfs(join(scratch, `big-${tool}-${i}`), {
        files: { "var/lib/random.bin": randomBytes(20 * 1024 * 1024) },
      });
      const name = `bronze/big-${tool}:${i}`;
      const file = join(scratch, `big-${tool}-${i}.tar`);
      const tar = buildOciImageTarball({ rootfs: root, name });
      writeFileSync(file, tar.data);
      tarSize = tar.data.length;
      rmSync(root, { recursive: true, force: true });
      const t = performance.now();
      if (tool === "lib") await client.images.import(file);
      else ctr(["images", "import", file]);
      (tool === "lib" ? importLib : importCtr).push(performance.now() - t);
      if (!(await client.images.resolve(tar.name).then((r) => client.images.isUnpacked(r))))
        throw new Error(`${tool} did not unpack ${tar.name}`);
      await client.images.remove(tar.name, { sync: true });
      rmSync(file);
    }
  }
  const impLib = stats(importLib);
  const impCtr = stats(importCtr);

  const runRatio = runCtr.p50 / runLib.p50;
  const impRatio = impCtr.p50 / impLib.p50;
  console.log("");
  console.log(`run to completion (busybox true), ${RUNS} runs each, interleaved:`);
  console.log(`  lib  p50 ${ms(runLib.p50)}  p90 ${ms(runLib.p90)}  min ${ms(runLib.min)}`);
  console.log(`  ctr  p50 ${ms(runCtr.p50)}  p90 ${ms(runCtr.p90)}  min ${ms(runCtr.min)}`);
  console.log(`  ctr/lib ${runRatio.toFixed(2)}x  (target >= 2x: ${runRatio >= 2 ? "met" : "NOT met"})`);
  console.log("  where a lib run's time goes (p50 of each step):");
  for (const [name, samples] of Object.entries(phases))
    console.log(`    ${name.padEnd(44)} ${ms(stats(samples).p50)}`);
  console.log(`unary round trip (Version), 1000 calls:`);
  console.log(
    `  p50 ${ms(v.p50)}  p99 ${ms(v.p99)}  min ${ms(v.min)}  (target p50 < 1 ms: ${v.p50 < 1 ? "met" : "NOT met"})`,
  );
  console.log(
    `import of a ${(tarSize / 1e6).toFixed(1)} MB image tarball (gzip layer, unpacked), ${IMPORTS} imports each:`,
  );
  console.log(
    `  lib  p50 ${ms(impLib.p50)}  min ${ms(impLib.min)}  (${(tarSize / 1e6 / (impLib.p50 / 1000)).toFixed(0)} MB/s)`,
  );
  console.log(`  ctr  p50 ${ms(impCtr.p50)}  min ${ms(impCtr.min)}`);
  console.log(`  ctr/lib ${impRatio.toFixed(2)}x  (target >= 1x: ${impRatio >= 1 ? "met" : "NOT met"})`);
} finally {
  client.close();
  await containerd.stop();
  rmSync(scratch, { recursive: true, force: true });
}
