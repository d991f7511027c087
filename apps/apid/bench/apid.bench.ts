// apid figures (`bun run bench` in apps/apid; `--duration SECONDS` for the concurrency run, default 30;
// `--logs-only` measures only the log streaming; BENCH_PROF_DIR=DIR writes apid's and the stand-in's
// CPU profiles there, as markdown):
// - proxy overhead: Version p50/p99 through apid (mTLS, gRPC) against machined's socket directly;
// - log streaming throughput through apid, against the same Logs call on the socket and a plain file read
//   (each client decodes the text and splits it into lines, as the local read does), and the same file
//   with Read (bytes messages), for comparison; and the CPU each process spent on a Logs call;
// - concurrency: 200 clients calling Version and 20 following logs at once: errors and p99.
// machined is the test stand-in (a real HTTP/2 server on a unix socket) and apid the real main.ts,
// each in its own process; the clients run here.
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  HTTP2_CLIENT_SETTINGS,
  LogLineDecoder,
  LogsRequestSchema,
  MachineService,
  ROLE_HEADER,
} from "@bronze/api";
import { callBytesStream } from "@bronze/grpc-stream";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { makePki, writePkiDir } from "../test/pki-fixture.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    duration: { type: "string", default: "30" },
    calls: { type: "string", default: "3000" },
    "log-mb": { type: "string", default: "64" },
    "logs-only": { type: "boolean", default: false },
  },
});
const durationS = Number(values.duration);
const calls = Number(values.calls);
const logMb = Number(values["log-mb"]);

const dir = mkdtempSync(join(tmpdir(), "apid-bench-"));
const logDir = join(dir, "log");
const filesRoot = join(dir, "files");
mkdirSync(logDir);
mkdirSync(filesRoot);
const pki = await makePki();
const pkiDir = join(dir, "pki");
writePkiDir(pkiDir, { ca: pki.ca, server: pki.server });
const socketPath = join(dir, "machine.sock");

async function startProcess(args: string[], ready: RegExp) {
  const dir = process.env.BENCH_PROF_DIR;
  const profile = dir ? ["--cpu-prof-md", `--cpu-prof-dir=${dir}`] : [];
  const proc = Bun.spawn([process.execPath, ...profile, ...args], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!ready.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${args[0]} exited before it was ready: ${out}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { proc, out };
}

const standIn = await startProcess(
  [join(import.meta.dir, "stand-in-process.ts"), socketPath, logDir, filesRoot],
  /ready/,
);
const apid = await startProcess(
  [
    join(import.meta.dir, "../src/main.ts"),
    "--listen",
    "127.0.0.1:0",
    "--machined-socket",
    socketPath,
    "--pki-dir",
    pkiDir,
  ],
  /serving on 127\.0\.0\.1:(\d+)/,
);
const port = Number(/serving on 127\.0\.0\.1:(\d+)/.exec(apid.out)?.[1]);

const managers: Http2SessionManager[] = [];
/** Each client's HTTP/2 session and headers, for the streams read raw as osctl reads them. */
const rawOf = new WeakMap<object, { sessions: Http2SessionManager; headers: Record<string, string> }>();
/** A client of apid; `from` is its source address (apid takes at most 32 connections from one). */
function viaApid(cert = pki.reader, from = "127.0.0.1") {
  const baseUrl = `https://127.0.0.1:${port}`;
  const sessionManager = new Http2SessionManager(baseUrl, undefined, {
    ca: pki.ca.crt,
    cert: cert.crt,
    key: cert.key,
    // Passed on to tls.connect (not in http2's option types).
    ...({ localAddress: from } as object),
    // As osctl asks apid.
    settings: HTTP2_CLIENT_SETTINGS,
  });
  managers.push(sessionManager);
  const client = createClient(MachineService, createGrpcTransport({ baseUrl, sessionManager }));
  rawOf.set(client, { sessions: sessionManager, headers: {} });
  return client;
}
function direct() {
  const sessionManager = new Http2SessionManager("http://localhost", undefined, {
    createConnection: () => connect(socketPath),
    // As apid asks machined.
    settings: HTTP2_CLIENT_SETTINGS,
  });
  managers.push(sessionManager);
  const client = createClient(
    MachineService,
    createGrpcTransport({
      baseUrl: "http://localhost",
      sessionManager,
      // As apid asks machined: uncompressed (compare like with like).
      acceptCompression: [],
      interceptors: [
        (next) => (req) => {
          req.header.set(ROLE_HEADER, "os:admin");
          return next(req);
        },
      ],
    }),
  );
  rawOf.set(client, { sessions: sessionManager, headers: { [ROLE_HEADER]: "os:admin" } });
  return client;
}

/** The CPU time (user + system) a process of this machine has used, in ms. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const ms = (n: number) => `${n.toFixed(3)} ms`;

async function latencies(client: ReturnType<typeof direct>, n: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) await client.version({});
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await client.version({});
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

try {
  const apidClient = viaApid();
  const directClient = direct();
  if (!values["logs-only"]) {
    // 1. Proxy overhead, interleaved in rounds so both see the same machine load.
    const a: number[] = [];
    const d: number[] = [];
    for (let round = 0; round < 3; round++) {
      d.push(...(await latencies(directClient, calls / 3)));
      a.push(...(await latencies(apidClient, calls / 3)));
    }
    a.sort((x, y) => x - y);
    d.sort((x, y) => x - y);
    const added = percentile(a, 50) - percentile(d, 50);
    console.log(`proxy overhead (Version, ${calls} sequential calls each, gRPC):`);
    console.log(`  machined socket directly  p50 ${ms(percentile(d, 50))}  p99 ${ms(percentile(d, 99))}`);
    console.log(`  through apid (mTLS)       p50 ${ms(percentile(a, 50))}  p99 ${ms(percentile(a, 99))}`);
    console.log(`  apid adds p50 ${ms(added)} (target <= 0.5 ms: ${added <= 0.5 ? "met" : "NOT met"})`);
  }

  // 2. Log streaming throughput.
  const line = `${"x".repeat(99)}\n`;
  const chunk = line.repeat(10_000);
  const bigLog = join(logDir, "big.log");
  writeFileSync(bigLog, "");
  const total = logMb * 1024 * 1024;
  for (let written = 0; written < total; written += chunk.length) appendFileSync(bigLog, chunk);
  interface Streamed {
    mbps: number;
    lines: number;
    /** CPU ms of this client, apid and the stand-in during the call. */
    cpu: { client: number; apid: number; standIn: number };
  }
  async function streamed(client: ReturnType<typeof direct>): Promise<Streamed> {
    const t = performance.now();
    const client0 = process.cpuUsage();
    const apid0 = processCpuMs(apid.proc.pid);
    const standIn0 = processCpuMs(standIn.proc.pid);
    let lines = 0;
    let bytes = 0;
    const decoder = new LogLineDecoder();
    // read as osctl reads it: raw off HTTP/2, the log's bytes as views of the chunks (@bronze/grpc-stream)
    const raw = rawOf.get(client);
    if (raw === undefined) throw new Error("a client without its session");
    for await (const data of callBytesStream({
      ...raw,
      path: `/${MachineService.typeName}/${MachineService.method.logs.name}`,
      request: toBinary(LogsRequestSchema, create(LogsRequestSchema, { id: "big" })),
      field: 2,
    })) {
      for (const l of decoder.push(data)) {
        lines++;
        bytes += l.length + 1;
      }
    }
    const c = process.cpuUsage(client0);
    const cpu = {
      client: (c.user + c.system) / 1000,
      apid: processCpuMs(apid.proc.pid) - apid0,
      standIn: processCpuMs(standIn.proc.pid) - standIn0,
    };
    return { mbps: bytes / 1024 / 1024 / ((performance.now() - t) / 1000), lines, cpu };
  }
  const cpuOf = (r: Streamed) =>
    `CPU: client ${r.cpu.client.toFixed(0)} ms, apid ${r.cpu.apid.toFixed(0)} ms, machined stand-in ${r.cpu.standIn.toFixed(0)} ms`;
  const t0 = performance.now();
  const local0 = process.cpuUsage();
  let localLines = 0;
  let localBytes = 0;
  const decoder = new TextDecoder();
  let rest = "";
  for await (const part of Bun.file(bigLog).stream()) {
    const text = rest + decoder.decode(part, { stream: true });
    const cut = text.lastIndexOf("\n") + 1;
    for (const l of text.slice(0, cut).split("\n")) {
      if (l !== "") {
        localLines++;
        localBytes += l.length + 1;
      }
    }
    rest = text.slice(cut);
  }
  const localMbps = localBytes / 1024 / 1024 / ((performance.now() - t0) / 1000);
  const localCpu = process.cpuUsage(local0);
  const directLogs = await streamed(directClient);
  const apidLogs = await streamed(apidClient);
  if (apidLogs.lines !== localLines || directLogs.lines !== localLines) {
    throw new Error(
      `line counts differ: file ${localLines}, socket ${directLogs.lines}, apid ${apidLogs.lines}`,
    );
  }
  console.log(`log streaming (${logMb} MiB, ${localLines} lines, no follow):`);
  console.log(
    `  reading the file locally (lines)  ${localMbps.toFixed(1)} MiB/s (CPU ${((localCpu.user + localCpu.system) / 1000).toFixed(0)} ms)`,
  );
  console.log(
    `  Logs on machined's socket         ${directLogs.mbps.toFixed(1)} MiB/s (${cpuOf(directLogs)})`,
  );
  console.log(
    `  Logs through apid                 ${apidLogs.mbps.toFixed(1)} MiB/s = ${((100 * apidLogs.mbps) / localMbps).toFixed(1)}% of the local read, ${((100 * apidLogs.mbps) / directLogs.mbps).toFixed(1)}% of the socket (target >= 50% of local: ${apidLogs.mbps >= localMbps / 2 ? "met" : "NOT met"})`,
  );
  console.log(`    (${cpuOf(apidLogs)})`);
  if (!values["logs-only"]) {
    // The same bytes as Read's 32 KiB `bytes` messages.
    renameSync(bigLog, join(filesRoot, "big.log"));
    async function read(client: ReturnType<typeof direct>): Promise<number> {
      const t = performance.now();
      let bytes = 0;
      for await (const m of client.read({ path: "big.log" })) bytes += m.data.length;
      if (bytes !== localBytes) throw new Error(`Read returned ${bytes} bytes, the file has ${localBytes}`);
      return bytes / 1024 / 1024 / ((performance.now() - t) / 1000);
    }
    const directRead = await read(directClient);
    const apidRead = await read(viaApid(pki.admin));
    console.log(`reading the same file with Read (32 KiB bytes messages), for comparison:`);
    console.log(`  Read on machined's socket         ${directRead.toFixed(1)} MiB/s`);
    console.log(
      `  Read through apid                 ${apidRead.toFixed(1)} MiB/s = ${((100 * apidRead) / localMbps).toFixed(1)}% of the local read, ${((100 * apidRead) / directRead).toFixed(1)}% of the socket`,
    );
    rmSync(join(filesRoot, "big.log"));

    // 3. Concurrency: 200 Version clients and 20 log followers, each on its own connection.
    const followLog = join(logDir, "busy.log");
    writeFileSync(followLog, "start\n");
    let written = 0;
    const writer = setInterval(() => {
      appendFileSync(followLog, `tick ${Date.now()}\n`);
      written++;
    }, 10);
    const stop = new AbortController();
    const errors: string[] = [];
    const versionTimes: number[] = [];
    let followedLines = 0;
    const deadline = Date.now() + durationS * 1000;
    // From 20 source addresses of 127.0.0.0/8, as many clients would come from many hosts.
    const source = (i: number) => `127.0.0.${2 + (i % 20)}`;
    const callers = Array.from({ length: 200 }, async (_, i) => {
      const client = viaApid(pki.reader, source(i));
      while (Date.now() < deadline) {
        const t = performance.now();
        try {
          await client.version({});
          versionTimes.push(performance.now() - t);
        } catch (e) {
          errors.push(`Version: ${ConnectError.from(e).message}`);
        }
      }
    });
    const followers = Array.from({ length: 20 }, async (_, i) => {
      const client = viaApid(pki.reader, source(i));
      const decoder = new LogLineDecoder();
      try {
        for await (const m of client.logs(
          { id: "busy", follow: true, tailLines: 1 },
          { signal: stop.signal },
        )) {
          followedLines += decoder.push(m.data).length;
        }
      } catch (e) {
        const err = ConnectError.from(e);
        if (err.code !== Code.Canceled) errors.push(`Logs: ${err.message}`);
      }
    });
    await Promise.all(callers);
    stop.abort();
    await Promise.all(followers);
    clearInterval(writer);
    versionTimes.sort((x, y) => x - y);
    console.log(`concurrency (${durationS} s: 200 clients calling Version, 20 following logs):`);
    console.log(
      `  ${versionTimes.length} Version calls (${(versionTimes.length / durationS).toFixed(0)}/s), p50 ${ms(percentile(versionTimes, 50))}, p99 ${ms(percentile(versionTimes, 99))}; ${followedLines} log lines followed (${written} written, 20 followers); errors: ${errors.length}`,
    );
    for (const e of [...new Set(errors)].slice(0, 5)) console.log(`  error: ${e}`);
  }
} finally {
  for (const m of managers) m.abort();
  apid.proc.kill("SIGTERM");
  standIn.proc.kill("SIGTERM");
  await Promise.all([apid.proc.exited, standIn.proc.exited]);
  rmSync(dir, { recursive: true, force: true });
}
