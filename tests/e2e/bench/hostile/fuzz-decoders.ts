// The decoder fuzz of the hostile-input bench: random and mutated requests to apid's Connect, gRPC and
// gRPC-web decoders (src/hostile/wire-requests.ts), over HTTP/2 and HTTP/1.1, as a reader and as an
// admin, each answer judged by src/hostile/wire-verdict.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "../../src/hostile/seeded-random.ts";
import { wireRequest } from "../../src/hostile/wire-requests.ts";
import { type DecoderVerdict, judgeOutcome } from "../../src/hostile/wire-verdict.ts";
import type { HostileNode } from "./hostile-node.ts";
import { http1Request, RawHttp2Pool } from "./raw-client.ts";

const UNARY_TIMEOUT_MS = 10_000;
/** A streaming call a mutation turned into a follow stays open: it is ended after this. */
const STREAM_TIMEOUT_MS = 3_000;

export interface FuzzDecodersOptions {
  readonly count: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly outDir: string;
  readonly log: (line: string) => void;
}

export interface FuzzDecodersResult {
  readonly sent: number;
  readonly seconds: number;
  readonly verdicts: Map<DecoderVerdict, number>;
  readonly codes: Map<string, number>;
  readonly examples: { verdict: DecoderVerdict; kind: string; role: string; what: string; file: string }[];
  readonly dropped: Map<string, number>;
  readonly sessionsLost: number;
}

export async function fuzzDecoders(
  node: HostileNode,
  options: FuzzDecodersOptions,
): Promise<FuzzDecodersResult> {
  const r = seededRandom(options.seed);
  const tls = (role: "admin" | "reader") => ({
    ca: node.ca,
    cert: node.certs[role].crt,
    key: node.certs[role].key,
  });
  const pools = {
    admin: new RawHttp2Pool(node.apidUrl, tls("admin"), 2),
    reader: new RawHttp2Pool(node.apidUrl, tls("reader"), 4),
  };
  const verdicts = new Map<DecoderVerdict, number>();
  const codes = new Map<string, number>();
  const dropped = new Map<string, number>();
  const examples: FuzzDecodersResult["examples"] = [];
  let next = 0;
  const t0 = performance.now();
  mkdirSync(options.outDir, { recursive: true });

  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= options.count) return;
      const req = wireRequest(r);
      const timeout = req.streaming ? STREAM_TIMEOUT_MS : UNARY_TIMEOUT_MS;
      const outcome = req.http1
        ? await http1Request(node.apidPort, tls(req.role), req, timeout)
        : await pools[req.role].request(req, timeout);
      const j = judgeOutcome(req, outcome);
      verdicts.set(j.verdict, (verdicts.get(j.verdict) ?? 0) + 1);
      codes.set(j.code, (codes.get(j.code) ?? 0) + 1);
      if (j.verdict === "dropped")
        dropped.set(
          `${req.http1 ? "HTTP/1.1" : "HTTP/2"}: ${j.what}`,
          (dropped.get(`${req.http1 ? "HTTP/1.1" : "HTTP/2"}: ${j.what}`) ?? 0) + 1,
        );
      // Up to 8 examples of every verdict worth a look, each written out for replay.
      const seen = examples.filter((e) => e.verdict === j.verdict).length;
      if (!["answered", "refused"].includes(j.verdict) && seen < 8) {
        const file = join(options.outDir, `request-${options.seed}-${i}.json`);
        writeFileSync(
          file,
          JSON.stringify({ ...req, body: Buffer.from(req.body).toString("base64"), verdict: j }, null, 2),
        );
        examples.push({ verdict: j.verdict, kind: req.kind, role: req.role, what: j.what, file });
      }
      if ((i + 1) % 1000 === 0)
        options.log(
          `fuzz-decoders: ${i + 1}/${options.count} in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
        );
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    pools.admin.close();
    pools.reader.close();
  }
  return {
    sent: options.count,
    seconds: (performance.now() - t0) / 1000,
    verdicts,
    codes,
    examples,
    dropped,
    sessionsLost: pools.admin.sessionsLost + pools.reader.sessionsLost,
  };
}
