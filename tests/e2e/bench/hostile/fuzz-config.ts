// The ApplyConfiguration fuzz of the hostile-input bench: mutated configs sent as dry runs by an admin
// through apid (binary gRPC, as osctl), and now and then a harmless change applied for real without a
// reboot, then the original applied again. Every answer must be a success or a clean refusal
// (InvalidArgument, FailedPrecondition, ResourceExhausted) with a bounded message; what is not is kept
// (its bytes written to the output directory) for the report.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benignMutation, mutateConfig } from "../../src/hostile/config-mutations.ts";
import { seededRandom } from "../../src/hostile/seeded-random.ts";
import { attempt, KiB } from "./attack-tools.ts";
import type { HostileNode } from "./hostile-node.ts";
import { applyNoReboot } from "./review-cases.ts";

const CLEAN = new Set(["ok", "invalid_argument", "failed_precondition", "resource_exhausted"]);
/** apid's cap on one request: a config past it goes on a connection of its own (see below). */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/**
 * What Bun's HTTP/2 client reports when apid refuses a request past 8 MiB while the client is still
 * sending it: the stream, and every later stream of that connection, closed with ENHANCE_YOUR_CALM
 * (curl on the same request gets apid's answer, resource_exhausted, and keeps its connection).
 */
const BUN_CLIENT_CALM = /ENHANCE_YOUR_CALM/;
/** machined cuts an error to 12 KiB (a config report fits); anything longer is unbounded. */
const MAX_MESSAGE_BYTES = 12 * KiB;

export interface FuzzConfigOptions {
  readonly count: number;
  readonly seed: number;
  readonly concurrency: number;
  /** One real apply (and restore) every this many configs. */
  readonly realEvery: number;
  /** Where unclean inputs are written. */
  readonly outDir: string;
  readonly log: (line: string) => void;
}

export interface FuzzConfigResult {
  readonly sent: number;
  readonly seconds: number;
  readonly codes: Map<string, number>;
  readonly unclean: {
    index: number;
    kinds: string;
    code: string;
    message: string;
    bytes: number;
    file: string;
  }[];
  readonly maxMessageBytes: number;
  readonly slowest: { kinds: string; ms: number; bytes: number; code: string }[];
  readonly real: { applied: number; refused: string[]; restoreFailures: string[] };
  readonly totalBytes: number;
}

export async function fuzzApplyConfiguration(
  node: HostileNode,
  options: FuzzConfigOptions,
): Promise<FuzzConfigResult> {
  const r = seededRandom(options.seed);
  const clients = Array.from({ length: Math.min(2, options.concurrency) }, () => node.newClient("admin"));
  const codes = new Map<string, number>();
  const unclean: FuzzConfigResult["unclean"] = [];
  const slowest: FuzzConfigResult["slowest"] = [];
  const real = { applied: 0, refused: [] as string[], restoreFailures: [] as string[] };
  let maxMessageBytes = 0;
  let totalBytes = 0;
  let next = 0;
  const t0 = performance.now();
  mkdirSync(options.outDir, { recursive: true });

  const realApply = async () => {
    const change = benignMutation(node.config, r);
    const applied = await applyNoReboot(node, change.text);
    if (applied.code === "ok") real.applied++;
    else real.refused.push(`${change.kind}: ${applied.code} ${applied.message.slice(0, 200)}`);
    const restored = await applyNoReboot(node, node.config);
    const stored = await attempt(() => node.socketClient().getConfiguration({}, { timeoutMs: 10_000 }));
    const back = new TextDecoder().decode(stored.value?.data ?? new Uint8Array()) === node.config;
    if (restored.code !== "ok" || !back)
      real.restoreFailures.push(
        `${change.kind}: restore ${restored.code} ${restored.message.slice(0, 200)}; stored config back: ${back}`,
      );
  };

  const worker = async (w: number) => {
    const client = clients[w % clients.length]?.client;
    if (client === undefined) return;
    for (;;) {
      const i = next++;
      if (i >= options.count) return;
      if (options.realEvery > 0 && i % options.realEvery === options.realEvery - 1) await realApply();
      const m = mutateConfig(node.config, r);
      totalBytes += m.data.length;
      const oversize = m.data.length > MAX_REQUEST_BYTES;
      // Past apid's cap, on a throwaway connection: Bun's client breaks the connection it sends it on.
      const own = oversize ? node.newClient("admin") : undefined;
      const res = await attempt(() =>
        (own?.client ?? client).applyConfiguration({ data: m.data, dryRun: true }, { timeoutMs: 60_000 }),
      ).finally(() => own?.close());
      const code =
        oversize && res.code === "internal" && BUN_CLIENT_CALM.test(res.message)
          ? "resource_exhausted (seen as ENHANCE_YOUR_CALM by Bun's client)"
          : res.code;
      codes.set(code, (codes.get(code) ?? 0) + 1);
      const messageBytes = Buffer.byteLength(res.message);
      maxMessageBytes = Math.max(maxMessageBytes, messageBytes);
      const kinds = m.kinds.join("+");
      slowest.push({ kinds, ms: res.ms, bytes: m.data.length, code });
      if (slowest.length > 40) {
        slowest.sort((a, b) => b.ms - a.ms);
        slowest.length = 20;
      }
      if (
        !(CLEAN.has(res.code) || code.startsWith("resource_exhausted")) ||
        messageBytes > MAX_MESSAGE_BYTES
      ) {
        const file = join(options.outDir, `config-${options.seed}-${i}.bin`);
        writeFileSync(file, m.data);
        unclean.push({
          index: i,
          kinds,
          code: res.code,
          message: res.message.slice(0, 300),
          bytes: m.data.length,
          file,
        });
      }
      if ((i + 1) % 1000 === 0)
        options.log(
          `fuzz-config: ${i + 1}/${options.count} in ${((performance.now() - t0) / 1000).toFixed(0)} s; unclean so far ${unclean.length}`,
        );
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  } finally {
    for (const c of clients) c.close();
  }
  slowest.sort((a, b) => b.ms - a.ms);
  return {
    sent: options.count,
    seconds: (performance.now() - t0) / 1000,
    codes,
    unclean,
    maxMessageBytes,
    slowest: slowest.slice(0, 8),
    real,
    totalBytes,
  };
}
