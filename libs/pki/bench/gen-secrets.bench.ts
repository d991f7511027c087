// What `osctl gen config` does with keys, generateSecretsBundle + the admin client certificate, against openssl
// doing the same key and certificate work as spawned processes (4 self-signed P-256 CAs, the service-account
// key, a client certificate signed by the OS CA). Token/secret generation is left out of the openssl side (in
// its favour).
//
// The headline is COLD: a fresh process compiled the way osctl is (`bun build --compile --minify --bytecode`),
// timed from spawn to exit, against openssl's 6 processes one after another (what a shell script does). Its
// in-process part (from `await import("@bronze/pki")` to the client certificate) is shown beside it. Runs are
// interleaved (ours, openssl parallel, openssl sequential, a cold process) and medians reported, as the
// machine may be shared.
//
//   bun bench/gen-secrets.bench.ts [runs]      (default 15 runs of each)
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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

/** The cold probe: everything after process start that `osctl gen config` spends on keys and certificates. */
const PROBE = `
const start = performance.now();
const pki = await import(${JSON.stringify(resolve(import.meta.dir, "../src/index.ts"))});
const imported = performance.now();
const bundle = await pki.generateSecretsBundle();
const generated = performance.now();
await pki.issueClientCertificate(bundle.certs.os, { role: "os:admin" });
const end = performance.now();
process.stdout.write(JSON.stringify({ import: imported - start, bundle: generated - imported, client: end - generated, total: end - start }));
`;

interface ColdSample {
  import: number;
  bundle: number;
  client: number;
  total: number;
  /** Spawn to exit, Bun's own startup included. */
  process: number;
}

/** Compiles a probe the way apps/osctl/scripts/build.ts compiles osctl. */
async function compileProbe(dir: string, name: string, code: string): Promise<string> {
  const source = join(dir, `${name}.ts`);
  const binary = join(dir, name);
  await writeFile(source, code);
  const build = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "--compile",
      "--minify",
      "--bytecode",
      "--format=esm",
      source,
      "--outfile",
      binary,
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  if (build.exitCode !== 0) throw new Error(`bun build failed: ${build.stderr.toString()}`);
  return binary;
}

async function spawnTimed(binary: string): Promise<{ out: string; ms: number }> {
  const start = performance.now();
  const child = Bun.spawn([binary], { stdout: "pipe", stderr: "inherit" });
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  const ms = performance.now() - start;
  if (code !== 0) throw new Error(`${binary} failed`);
  return { out, ms };
}

async function cold(binary: string): Promise<ColdSample> {
  const { out, ms } = await spawnTimed(binary);
  return { ...(JSON.parse(out) as Omit<ColdSample, "process">), process: ms };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 15);
  const dir = await mkdtemp(join(tmpdir(), "bronze-pki-bench-"));
  try {
    const binary = await compileProbe(dir, "probe", PROBE);
    const empty = await compileProbe(dir, "empty", "export {};\n");
    await ours(); // warm-up, every side
    await opensslParallel(dir);
    await cold(binary);
    await spawnTimed(empty);
    const results = {
      ours: [] as number[],
      parallel: [] as number[],
      sequential: [] as number[],
      empty: [] as number[],
    };
    const colds: ColdSample[] = [];
    for (let i = 0; i < runs; i++) {
      results.ours.push(await time(ours));
      results.parallel.push(await time(() => opensslParallel(dir)));
      results.sequential.push(await time(() => opensslSequential(dir)));
      colds.push(await cold(binary));
      results.empty.push((await spawnTimed(empty)).ms);
    }
    const coldMedian = (key: keyof ColdSample) => median(colds.map((sample) => sample[key]));
    const m = {
      coldProcess: coldMedian("process"),
      coldInProcess: coldMedian("total"),
      warm: median(results.ours),
      parallel: median(results.parallel),
      sequential: median(results.sequential),
    };
    const ms = (value: number) => `${value.toFixed(1).padStart(6)} ms`;
    const ratio = (value: number) => `${(m.sequential / value).toFixed(1)}x`;
    console.log(
      `COLD: fresh compiled process ${ms(m.coldProcess)} vs openssl, 6 processes in sequence ${ms(m.sequential)}` +
        ` => ${ratio(m.coldProcess)} faster (median of ${runs}, interleaved)`,
    );
    console.log(
      `      its in-process part (import @bronze/pki + generateSecretsBundle + issueClientCertificate) ${ms(m.coldInProcess)}` +
        ` => ${ratio(m.coldInProcess)}`,
    );
    console.log(
      `      medians of its parts: import ${ms(coldMedian("import"))}, generateSecretsBundle ${ms(coldMedian("bundle"))}, issueClientCertificate ${ms(coldMedian("client"))}`,
    );
    console.log(
      `warm (in this process)                         ${ms(m.warm)}  openssl sequential/this = ${ratio(m.warm)}`,
    );
    console.log(
      `openssl, 5 processes in parallel then 1         ${ms(m.parallel)}  (cold process is ${(m.parallel / m.coldProcess).toFixed(1)}x faster)`,
    );
    console.log(`openssl, 6 processes one after another          ${ms(m.sequential)}`);
    console.log(`an empty compiled Bun program (startup floor)   ${ms(median(results.empty))}`);
    if (m.coldProcess >= m.sequential) {
      console.log("TARGET MISSED: a fresh @bronze/pki process is not faster than sequential openssl");
      process.exitCode = 1;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
