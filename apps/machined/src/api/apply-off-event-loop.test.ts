// Issue 10 against machined's real API server (HTTP/2 on a unix socket, gRPC, apid's one session): the
// most costly configs the schema still accepts, applied while a 10 ms interval counts the event loop's
// turns. The validation, the diff and the redaction of GetConfiguration run in the config worker, so the
// loop keeps turning during each of them and a Version call is answered while an apply runs; they used
// to run on this thread (not one turn while ApplyConfiguration validated and diffed, Version answered
// only after it).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_LIMITS } from "@bronze/config-schema";
import type { ApplyOutcome, ApplyRequest } from "../config/config-apply.ts";
import { type ConfigCheck, ConfigWorkerClient } from "../config/config-worker-client.ts";
import { type ServerFixture, startServerFixture } from "./testing/api-server-fixture.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
const enc = (s: string) => new TextEncoder().encode(s);

/** Turns of the event loop: ticks of a 10 ms interval. */
let ticks = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** The event loop's turns while each step of an apply was in flight, by step. */
const turns: Record<"apply" | "validate" | "diff" | "redact", number[]> = {
  apply: [],
  validate: [],
  diff: [],
  redact: [],
};

async function counted<T>(step: keyof typeof turns, run: () => Promise<T>): Promise<T> {
  const before = ticks;
  try {
    return await run();
  } finally {
    turns[step].push(ticks - before);
  }
}

/** The real config worker, seen from the applier's side. */
const worker = new ConfigWorkerClient();
const check: ConfigCheck = {
  validate: (text, mode) => counted("validate", () => worker.validate(text, mode)),
  diff: (base, text, names) => counted("diff", () => worker.diff(base, text, names)),
  redact: (text) => counted("redact", () => worker.redact(text)),
};

let s: ServerFixture;
/** What settled first once an apply had started: a Version call made then, or the apply. */
const first: ("version" | "apply")[] = [];

beforeAll(async () => {
  timer = setInterval(() => ticks++, 10);
  s = await startServerFixture({ applier: { check } });
  const { applier } = s.f;
  const apply = applier.apply.bind(applier);
  applier.apply = async (request: ApplyRequest): Promise<ApplyOutcome> => {
    const order: ("version" | "apply")[] = [];
    const version = s
      .client("os:reader")
      .version({})
      .then(() => order.push("version"));
    try {
      return await counted("apply", () => apply(request));
    } finally {
      order.push("apply");
      first.push(order[0] as "version" | "apply");
      await version;
    }
  };
});

afterAll(async () => {
  clearInterval(timer);
  worker.close();
  await s?.close();
});

function reset(): void {
  for (const list of Object.values(turns)) list.length = 0;
  first.length = 0;
}

test("9,900 empty machine.files entries: validated off the event loop, Version answered meanwhile", async () => {
  reset();
  const text = WORKER.replace(/^machine:\n/m, `machine:\n  files: [${Array(9900).fill("{}").join(",")}]\n`);
  const refused = await s
    .client("os:admin")
    .applyConfiguration({ data: enc(text), dryRun: true })
    .then(
      () => "accepted",
      (e: Error) => e.message,
    );
  expect(refused).toContain("invalid machine config (39600 errors)");
  expect(refused).toContain("machine.files[0].content: required field is missing");
  expect(turns.apply[0]).toBeGreaterThan(1);
  expect(first).toEqual(["version"]);
  expect(turns.validate).toHaveLength(1);
  expect(turns.validate[0]).toBeGreaterThan(1);
});

test("a 40,000-line diff: computed off the event loop, Version answered meanwhile", async () => {
  reset();
  const room = CONFIG_LIMITS.maxLines - WORKER.split("\n").length;
  const comments = (tag: string) =>
    Array.from({ length: room }, (_, i) => `# ${tag} ${i}`)
      .join("\n")
      .concat("\n");
  s.f.store.save(`${WORKER}${comments("old")}`);
  const text = `${WORKER}${comments("new")}`;
  const reply = await s.client("os:admin").applyConfiguration({ data: enc(text), dryRun: true });
  const diff = reply.diff.split("\n");
  expect(diff.filter((l) => l.startsWith("-# old ")).length).toBe(room);
  expect(diff.filter((l) => l.startsWith("+# new ")).length).toBe(room);
  expect(turns.apply[0]).toBeGreaterThan(1);
  expect(first).toEqual(["version"]);
  expect(turns.diff).toHaveLength(1);
  expect(turns.diff[0]).toBeGreaterThan(1);
});

test("GetConfiguration of a large config in force: redacted off the event loop", async () => {
  reset();
  const entry = (i: number) =>
    `    - content: "${"x".repeat(200)}"\n      permissions: 0o644\n      path: /var/f${i}\n      op: create\n`;
  const files = Array.from({ length: 1100 }, (_, i) => entry(i)).join("");
  s.f.store.save(WORKER.replace(/^machine:\n/m, `machine:\n  files:\n${files}`));
  const reply = await s.client("os:reader").getConfiguration({});
  expect(reply.redacted).toBe(true);
  expect(new TextDecoder().decode(reply.data)).toContain("path: /var/f1099");
  expect(turns.redact).toHaveLength(1);
  expect(turns.redact[0]).toBeGreaterThan(0);
});
