// Issue 13's snapshot figure: an etcd snapshot through Bronze's API against `etcdctl snapshot save`
// straight to the same etcd, in the same run, interleaved (the order alternates each round).
//   - Bronze's side is what a user runs: the real compiled osctl (`osctl etcd snapshot FILE`, built here)
//     → the real apid (mTLS) → machined's real API server and etcd handler → @bronze/etcd-client's
//     snapshot stream, the same call machined's NodeEtcd.snapshot makes (the bench opens the client to
//     the test etcd's port itself: NodeEtcd dials 127.0.0.1:2379 with the certificates etcd-pki issues).
//     osctl checks etcd's SHA-256 trailer as it writes, before keeping the file.
//   - etcdctl's side: Debian's etcdctl 3.4 `snapshot save` with client certificates.
//   - Both: a real etcd 3.4 on this host with TLS, holding --mb MiB of keys (default 128); each run
//     includes its process start. machined's API server runs in this bench's process, apid in its own
//     (as on a node).
//   - It also prints the CPU each process spent on a run (medians): the client's from its rusage, apid's
//     and etcd's from /proc, machined's as this process's own (with the bench's little work). The two
//     cores are shared by all of them, so these say where a pipeline's floor is.
// Run: cd tests/e2e && bun bench/etcd-snapshot.bench.ts [--mb 128] [--rounds 3]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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

  /** CPU seconds (user + system) a process of this machine has used so far, from /proc (100 Hz ticks). */
  const cpuOf = (pid: number | undefined): number => {
    if (pid === undefined) return Number.NaN;
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const ownCpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  };
  /** One run: its wall time and the CPU each process spent on it (the client's from its rusage). */
  interface Run {
    s: number;
    cpu: Record<string, number>;
  }
  async function timed(argv: string[], env: Record<string, string | undefined>, what: string): Promise<Run> {
    const before = { etcd: cpuOf(member.pid), apid: cpuOf(apid?.pid), machined: ownCpu() };
    const t = performance.now();
    const proc = Bun.spawn(argv, { cwd: dir, env, stdout: "ignore", stderr: "pipe" });
    const stderr = new Response(proc.stderr).text();
    const code = await proc.exited;
    const s = (performance.now() - t) / 1000;
    if (code !== 0) throw new Error(`${what}: ${await stderr}`);
    const usage = proc.resourceUsage();
    return {
      s,
      cpu: {
        client: usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : Number.NaN,
        "client system": usage ? Number(usage.cpuTime.system) / 1e6 : Number.NaN,
        etcd: cpuOf(member.pid) - before.etcd,
        apid: cpuOf(apid?.pid) - before.apid,
        machined: ownCpu() - before.machined,
      },
    };
  }
  const viaApid = (file: string) => {
    rmSync(file, { force: true });
    return timed(
      [osctlBinary, "--osconfig", osconfig, "etcd", "snapshot", file],
      process.env,
      "osctl etcd snapshot",
    );
  };
  const etcdctl = (file: string) => {
    rmSync(file, { force: true });
    return timed(
      ["etcdctl", ...ctl.flags, "snapshot", "save", file],
      { ...process.env, ...ctl.env },
      "etcdctl snapshot save",
    );
  };

  const ours: Run[] = [];
  const theirs: Run[] = [];
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
  const wall = (runs: Run[]) => median(runs.map((r) => r.s));
  const cpu = (runs: Run[], names: string[]) =>
    names.map((n) => `${n} ${median(runs.map((r) => r.cpu[n] ?? Number.NaN)).toFixed(2)}`).join(", ");
  console.log(`etcd snapshot of ${mib.toFixed(1)} MiB, ${rounds} rounds interleaved (median):`);
  console.log(
    `  osctl etcd snapshot via apid   ${wall(ours).toFixed(2)} s  ${rate(wall(ours))}  (runs: ${ours.map((r) => r.s.toFixed(2)).join(", ")})`,
  );
  console.log(
    `    CPU s: ${cpu(ours, ["client", "client system", "apid", "machined", "etcd"])} (client: osctl)`,
  );
  console.log(
    `  etcdctl snapshot save direct   ${wall(theirs).toFixed(2)} s  ${rate(wall(theirs))}  (runs: ${theirs.map((r) => r.s.toFixed(2)).join(", ")})`,
  );
  console.log(`    CPU s: ${cpu(theirs, ["client", "client system", "etcd"])} (client: etcdctl)`);
  console.log(
    `  ratio (throughput, via apid / direct): ${(wall(theirs) / wall(ours)).toFixed(2)}  (target ≥ 0.5)`,
  );
  await api.close();
  await fixture.cleanup();
} finally {
  apid?.kill();
  await etcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
