// Issue 13's snapshot figure: an etcd snapshot through Bronze's API against `etcdctl snapshot save`
// straight to the same etcd, in the same run, interleaved (the order alternates each round).
//   - Bronze's side is what a user runs: the real osctl CLI (`osctl etcd snapshot FILE`, a subprocess)
//     → the real apid (mTLS) → machined's real API server and etcd handler → @bronze/etcd-client's
//     snapshot stream, the same call machined's NodeEtcd.snapshot makes (the bench opens the client to
//     the test etcd's port itself: NodeEtcd dials 127.0.0.1:2379 with the certificates etcd-pki issues).
//     osctl then checks etcd's SHA-256 trailer before keeping the file.
//   - etcdctl's side: Debian's etcdctl 3.4 `snapshot save` with client certificates.
//   - Both: a real etcd 3.4 on this host with TLS, holding --mb MiB of keys (default 128); each run
//     includes its process start. machined's API server runs in this bench's process, apid in its own
//     (as on a node).
// Run: cd tests/e2e && bun bench/etcd-snapshot.bench.ts [--mb 128] [--rounds 3]
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startTestEtcdCluster } from "@bronze/etcd-client/testing";
import { startApiServer } from "@bronze/machined/api-server";
import { makeFixture } from "@bronze/machined/testing/api-fixture";
import {
  type CertificateAndKey,
  encodePemBase64,
  generateCA,
  issueCertificate,
  issueClientCertificate,
} from "@bronze/pki";
import { stringify } from "yaml";
import { REPO_ROOT } from "../src/repo-root.ts";
import { runOsctl } from "../src/run-osctl.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { mb: { type: "string", default: "128" }, rounds: { type: "string", default: "3" } },
});
const mb = Number(values.mb);
const rounds = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), "bronze-etcd-bench-"));
// the compiled osctl, as users run it (etcdctl is compiled too): its start is part of the figure
const osctlBinary = join(dir, "osctl");
const build = Bun.spawnSync(["bun", join(REPO_ROOT, "apps/osctl/scripts/build.ts"), osctlBinary], {
  stdout: "inherit",
  stderr: "inherit",
});
if (build.exitCode !== 0) throw new Error("building osctl failed");
const etcd = await startTestEtcdCluster({ members: 1, tls: true });
const member = etcd.member("m0");
let apid: Bun.Subprocess<"ignore", "pipe", "inherit"> | undefined;
try {
  // --mb MiB of values of 512 KiB (etcd takes requests up to 1.5 MiB)
  const filler = await etcd.connect({ timeoutMs: 30_000 });
  const value = "v".repeat(512 * 1024);
  for (let i = 0; i < mb * 2; i++) await filler.put(`bench/${i}`, value);
  filler.close();

  // machined's API with the etcd handler over the real etcd
  const fixture = makeFixture({
    hostname: () => "bench-cp",
    etcd: () =>
      ({
        snapshot: (signal: AbortSignal) => ({
          async *[Symbol.asyncIterator]() {
            const client = await etcd.connect({ endpoints: [member.clientUrl] });
            try {
              yield* client.snapshot({ signal, endpoint: member.clientUrl });
            } finally {
              client.close();
            }
          },
        }),
      }) as never,
  });
  const socketPath = join(fixture.dir, "run", "machine.sock");
  const api = await startApiServer({ socketPath, context: fixture.ctx, closeGraceMs: 500 });
  const ca = await generateCA({ commonName: "bench os", organization: "bronze" });
  const server = await issueCertificate({
    ca,
    commonName: "node",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  const admin = (await issueClientCertificate(ca, { role: "os:admin" })) as CertificateAndKey;
  const pkiDir = join(dir, "pki");
  mkdirSync(pkiDir);
  writeFileSync(join(pkiDir, "ca.crt"), ca.crt);
  writeFileSync(join(pkiDir, "server.crt"), server.crt);
  writeFileSync(join(pkiDir, "server.key"), server.key);
  // apid in its own process, as on a node
  apid = Bun.spawn(
    [
      process.execPath,
      join(REPO_ROOT, "apps/apid/src/main.ts"),
      ...["--listen", "127.0.0.1:0", "--machined-socket", socketPath, "--pki-dir", pkiDir],
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const port = await (async () => {
    let out = "";
    const decoder = new TextDecoder();
    const reader = (apid as Bun.Subprocess<"ignore", "pipe", "inherit">).stdout.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`apid exited before serving: ${out}`);
      out += decoder.decode(value);
      const found = /serving on 127\.0\.0\.1:(\d+)/.exec(out);
      if (found) {
        // its audit lines go on: keep reading them (a closed pipe would fail apid's writes)
        void (async () => {
          while (!(await reader.read()).done) {}
        })();
        return Number(found[1]);
      }
    }
  })();
  const osconfig = join(dir, "osconfig");
  writeFileSync(
    osconfig,
    stringify({
      context: "bench",
      contexts: {
        bench: {
          endpoints: [`127.0.0.1:${port}`],
          nodes: [],
          ca: encodePemBase64(ca.crt),
          crt: encodePemBase64(admin.crt),
          key: encodePemBase64(admin.key),
        },
      },
    }),
  );
  const ctl = etcd.etcdctlSetup([member.clientUrl]);

  async function viaApid(file: string): Promise<number> {
    rmSync(file, { force: true });
    const t = performance.now();
    const r = await runOsctl(["--osconfig", osconfig, "etcd", "snapshot", file], {
      cwd: dir,
      timeoutMs: 600_000,
      binary: osctlBinary,
    });
    const s = (performance.now() - t) / 1000;
    if (r.code !== 0) throw new Error(`osctl etcd snapshot: ${r.stderr}`);
    return s;
  }
  async function etcdctl(file: string): Promise<number> {
    rmSync(file, { force: true });
    const t = performance.now();
    const proc = Bun.spawn(["etcdctl", ...ctl.flags, "snapshot", "save", file], {
      env: { ...process.env, ...ctl.env },
      stdout: "ignore",
      stderr: "pipe",
    });
    const code = await proc.exited;
    const s = (performance.now() - t) / 1000;
    if (code !== 0) throw new Error(`etcdctl snapshot save: ${await new Response(proc.stderr).text()}`);
    return s;
  }

  const ours: number[] = [];
  const theirs: number[] = [];
  let bytes = 0;
  for (let round = 0; round < rounds; round++) {
    const a = join(dir, "osctl.db");
    const b = join(dir, "etcdctl.db");
    if (round % 2 === 0) {
      ours.push(await viaApid(a));
      theirs.push(await etcdctl(b));
    } else {
      theirs.push(await etcdctl(b));
      ours.push(await viaApid(a));
    }
    bytes = statSync(a).size;
    if (Math.abs(statSync(b).size - bytes) > 1 << 20)
      throw new Error(`the two snapshots differ in size: ${bytes} and ${statSync(b).size}`);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const mib = bytes / 2 ** 20;
  const rate = (s: number) => `${(mib / s).toFixed(1)} MiB/s`;
  console.log(`etcd snapshot of ${mib.toFixed(1)} MiB, ${rounds} rounds interleaved (median):`);
  console.log(
    `  osctl etcd snapshot via apid   ${median(ours).toFixed(2)} s  ${rate(median(ours))}  (runs: ${ours.map((s) => s.toFixed(2)).join(", ")})`,
  );
  console.log(
    `  etcdctl snapshot save direct   ${median(theirs).toFixed(2)} s  ${rate(median(theirs))}  (runs: ${theirs.map((s) => s.toFixed(2)).join(", ")})`,
  );
  console.log(
    `  ratio (throughput, via apid / direct): ${(median(theirs) / median(ours)).toFixed(2)}  (target ≥ 0.5)`,
  );
  await api.close();
  await fixture.cleanup();
} finally {
  apid?.kill();
  await etcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
