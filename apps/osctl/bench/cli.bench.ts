// osctl's figures, each as a ratio against a baseline measured in the same run:
// - startup: the compiled `osctl --help` against `bun -e 0` (target: at most 2x), and a command's
//   `--help` (`osctl logs --help`: one group of commands built, the others stand-ins);
// - `osctl gen config` (the whole PKI + both configs + osconfig) against openssl generating the
//   same keys and self-signed CAs and signing the admin client certificate (target: faster).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "../../..");
const binary = join(root, "dist/osctl");
const scratch = mkdtempSync(join(tmpdir(), "osctl-bench-"));

function timeRun(argv: string[], cwd = scratch): number {
  const start = Bun.nanoseconds();
  const proc = Bun.spawnSync(argv, { cwd, stdout: "ignore", stderr: "pipe" });
  const elapsed = (Bun.nanoseconds() - start) / 1e6;
  if (proc.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${proc.stderr.toString()}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Alternates the two commands so drift on the machine affects both alike. */
function compare(runs: number, ours: () => number, baseline: () => number) {
  ours();
  baseline();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(ours());
    b.push(baseline());
  }
  return { ours: median(a), baseline: median(b) };
}

function openssl(...args: string[]) {
  return timeRun(["openssl", ...args]);
}

/** The same cryptographic work as `gen config`: four P-256 CAs, the SA key, the admin client cert. */
function opensslPki(): number {
  writeFileSync(
    join(scratch, "client.ext"),
    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n",
  );
  let total = 0;
  for (const ca of ["os", "k8s", "aggregator", "etcd"]) {
    total += openssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${ca}.key`,
      "-out",
      `${ca}.crt`,
      "-days",
      "3650",
      "-subj",
      `/CN=${ca}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    );
  }
  total += openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "sa.key");
  total += openssl(
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "admin.key",
    "-out",
    "admin.csr",
    "-subj",
    "/O=os:admin/CN=admin",
  );
  total += openssl(
    "x509",
    "-req",
    "-in",
    "admin.csr",
    "-CA",
    "os.crt",
    "-CAkey",
    "os.key",
    "-CAcreateserial",
    "-days",
    "365",
    "-extfile",
    "client.ext",
    "-out",
    "admin.crt",
  );
  return total;
}

try {
  const build = Bun.spawnSync(["bun", "run", "build"], {
    cwd: `${import.meta.dir}/..`,
    stdout: "ignore",
    stderr: "inherit",
  });
  if (build.exitCode !== 0) throw new Error("bun run build failed");

  const startup = compare(
    20,
    () => timeRun([binary, "--help"]),
    () => timeRun(["bun", "-e", "0"]),
  );
  const commandHelp = compare(
    20,
    () => timeRun([binary, "logs", "--help"]),
    () => timeRun(["bun", "-e", "0"]),
  );
  const gen = compare(
    7,
    () => timeRun([binary, "gen", "config", "bench", "https://10.0.0.10:6443", "-o", "out", "--force"]),
    opensslPki,
  );
  const rows = [
    ["osctl --help startup (compiled)", startup.ours, "bun -e 0", startup.baseline, "<= 2x"],
    ["osctl logs --help (compiled)", commandHelp.ours, "bun -e 0", commandHelp.baseline, "<= 2x"],
    ["osctl gen config (whole PKI + configs)", gen.ours, "openssl, same keys and CAs", gen.baseline, "< 1x"],
  ] as const;
  console.log("osctl figures (median wall time, ms):");
  for (const [what, ours, base, baseline, target] of rows) {
    console.log(
      `  ${what.padEnd(40)} ${ours.toFixed(1).padStart(8)} ms   vs ${base.padEnd(28)} ${baseline.toFixed(1).padStart(8)} ms   ratio ${(ours / baseline).toFixed(2)}x (target ${target})`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
