// Wall time of what `osctl gen config` does with keys: generateSecretsBundle + the admin client certificate,
// against openssl doing the same key and certificate work as spawned processes (4 self-signed P-256 CAs, the
// service-account key, a client certificate signed by the OS CA). Token/secret generation is left out of the
// openssl side (in its favour).
//
//   bun bench/gen-secrets.bench.ts [runs]      (default 15 runs of each, interleaved)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSecretsBundle, issueClientCertificate } from "../src/index.ts";

async function ours(): Promise<void> {
  const bundle = await generateSecretsBundle();
  await issueClientCertificate(bundle.certs.os, { role: "os:admin" });
}

async function run(cwd: string, args: string[]): Promise<void> {
  const child = Bun.spawn(["openssl", ...args], { cwd, stdout: "ignore", stderr: "pipe" });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${stderr}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
const caArgs = (name: string) => [
  "req",
  "-x509",
  ...EC,
  "-keyout",
  `${name}.key`,
  "-out",
  `${name}.crt`,
  "-subj",
  `/CN=${name}`,
  "-days",
  "3650",
  "-addext",
  "basicConstraints=critical,CA:TRUE",
  "-addext",
  "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
];
const serviceAccountArgs = [
  "genpkey",
  "-algorithm",
  "EC",
  "-pkeyopt",
  "ec_paramgen_curve:P-256",
  "-out",
  "sa.key",
];
const clientArgs = [
  "req",
  "-x509",
  ...EC,
  "-keyout",
  "admin.key",
  "-out",
  "admin.crt",
  "-subj",
  "/O=os:admin/CN=admin",
  "-days",
  "365",
  "-CA",
  "os.crt",
  "-CAkey",
  "os.key",
  "-addext",
  "basicConstraints=critical,CA:FALSE",
  "-addext",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "-addext",
  "extendedKeyUsage=clientAuth",
];
const CAS = ["etcd", "k8s", "k8saggregator", "os"];

/** openssl with the same shape of concurrency as ours: CAs and SA key at once, then the client certificate. */
async function opensslParallel(cwd: string): Promise<void> {
  await Promise.all([...CAS.map((name) => run(cwd, caArgs(name))), run(cwd, serviceAccountArgs)]);
  await run(cwd, clientArgs);
}

/** openssl one process after another, as a shell script would. */
async function opensslSequential(cwd: string): Promise<void> {
  for (const name of CAS) await run(cwd, caArgs(name));
  await run(cwd, serviceAccountArgs);
  await run(cwd, clientArgs);
}

async function time(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One cold run in a fresh Bun process, as `osctl gen config` is: module loading and JIT warm-up included. */
async function coldChild(): Promise<void> {
  const start = performance.now();
  await ours();
  process.stdout.write(JSON.stringify({ ms: performance.now() - start }));
}

async function cold(): Promise<{ inProcess: number; process: number }> {
  const start = performance.now();
  const child = Bun.spawn([process.execPath, import.meta.path, "--cold-child"], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (code !== 0) throw new Error("cold child failed");
  return { inProcess: (JSON.parse(out) as { ms: number }).ms, process: performance.now() - start };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 15);
  const dir = await mkdtemp(join(tmpdir(), "bronze-pki-bench-"));
  try {
    await ours(); // warm-up, both sides
    await opensslParallel(dir);
    const results = { ours: [] as number[], parallel: [] as number[], sequential: [] as number[] };
    const colds = { inProcess: [] as number[], process: [] as number[] };
    for (let i = 0; i < runs; i++) {
      results.ours.push(await time(ours));
      results.parallel.push(await time(() => opensslParallel(dir)));
      results.sequential.push(await time(() => opensslSequential(dir)));
      if (i < 5) {
        const c = await cold();
        colds.inProcess.push(c.inProcess);
        colds.process.push(c.process);
      }
    }
    const m = {
      ours: median(results.ours),
      oursCold: median(colds.inProcess),
      oursColdProcess: median(colds.process),
      parallel: median(results.parallel),
      sequential: median(results.sequential),
    };
    const row = (label: string, ms: number) =>
      `${label.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms   openssl(parallel)/this = ${(m.parallel / ms).toFixed(1)}x`;
    console.log(
      `generateSecretsBundle + admin client certificate vs openssl, median of ${runs} runs (cold: ${colds.process.length})`,
    );
    console.log(row("@bronze/pki, warm (in process)", m.ours));
    console.log(row("@bronze/pki, cold (fresh process, after Bun start)", m.oursCold));
    console.log(row("@bronze/pki, cold, whole `bun` process incl. startup", m.oursColdProcess));
    console.log(row("openssl, 5 processes in parallel then 1", m.parallel));
    console.log(row("openssl, 6 processes one after another", m.sequential));
    console.log(
      `ratio openssl/ours (warm): parallel ${(m.parallel / m.ours).toFixed(1)}x, sequential ${(m.sequential / m.ours).toFixed(1)}x`,
    );
    if (m.ours >= m.parallel) {
      console.log("TARGET MISSED: @bronze/pki is not faster than openssl");
      process.exitCode = 1;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--cold-child")) await coldChild();
else await main();
