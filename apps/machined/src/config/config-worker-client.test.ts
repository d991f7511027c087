import { afterEach, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NODE_BINARY_WORKERS } from "@bronze/image/node-binary";
import { eventually } from "@bronze/testing";
import { FakeClock } from "../testing/fake-clock.ts";
import { runConfigCheck } from "./config-check.ts";
import {
  CONFIG_CHECK_BUDGET_MS,
  CONFIG_WORKER_ENTRY,
  CONFIG_WORKER_IDLE_MS,
  ConfigWorkerClient,
  ConfigWorkerError,
  configWorkerUrl,
} from "./config-worker-client.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");

const clients: ConfigWorkerClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

function client(options: ConstructorParameters<typeof ConfigWorkerClient>[0] = {}): ConfigWorkerClient {
  const c = new ConfigWorkerClient(options);
  clients.push(c);
  return c;
}

/**
 * A stand-in worker from source: it answers every request with the request's text, never answers
 * "hang", throws on "throw" and exits on "exit".
 */
function fakeWorker(): string {
  const source = `
    self.onmessage = (event) => {
      const { id, request } = event.data;
      if (request.text === "hang") for (;;) {}
      if (request.text === "throw") throw new Error("thrown in the worker");
      if (request.text === "exit") process.exit(3);
      if (request.text === "refuse") { self.postMessage({ id, ok: false, error: "no" }); return; }
      self.postMessage({ id, ok: true, value: "echo " + request.text });
    };`;
  return URL.createObjectURL(new File([source], "fake-worker.ts"));
}

/** The stand-in's answers are strings, whatever was asked: typed as what they are. */
const answer = (p: Promise<unknown>): Promise<unknown> => p;

async function failure(p: Promise<unknown>): Promise<ConfigWorkerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConfigWorkerError) return e;
    throw e;
  }
  throw new Error("expected a ConfigWorkerError");
}

test("the worker's answers are the in-thread ones: a MachineConfig, issues, a diff, a redaction", async () => {
  const c = client();
  const valid = await c.validate(WORKER, "container");
  expect(valid).toEqual(runConfigCheck({ kind: "validate", text: WORKER, mode: "container" }));
  expect(valid.ok).toBe(true);
  expect(valid.config?.machine.network?.hostname).toBe("worker-1");
  const files = WORKER.replace(/^machine:\n/m, "machine:\n  files: [{}, {}]\n");
  const invalid = await c.validate(files, "container");
  expect(invalid).toEqual(runConfigCheck({ kind: "validate", text: files, mode: "container" }));
  expect(invalid.errorCount).toBe(8);
  expect(invalid.errors[0]).toMatchObject({ path: "machine.files[0].content", code: "required" });
  const renamed = WORKER.replace("hostname: worker-1", "hostname: worker-2");
  const diff = await c.diff(WORKER, renamed, { from: "current", to: "new" });
  expect(diff).toContain("-    hostname: worker-1\n+    hostname: worker-2\n");
  expect(diff).toStartWith("--- current\n+++ new\n");
  expect(await c.redact(WORKER)).toBe(runConfigCheck({ kind: "redact", text: WORKER }));
  const unredactable = await failure(c.redact("a: ["));
  expect(unredactable.code).toBe("Failed");
  expect(unredactable.message).toStartWith("redacting the config failed in the config worker: ");
  expect(unredactable.message).toEndWith("it is not redacted");
  // One worker served the requests.
  expect(c.started).toBe(1);
});

test("one worker for consecutive requests; terminated once idle, a new one for the next request", async () => {
  const clock = new FakeClock();
  const c = client({ url: fakeWorker(), clock });
  expect(c.running).toBe(false);
  expect(await answer(Promise.all([c.validate("a", "metal"), c.validate("b", "metal")]))).toEqual([
    "echo a",
    "echo b",
  ]);
  expect(c.started).toBe(1);
  expect(c.running).toBe(true);
  await clock.advance(CONFIG_WORKER_IDLE_MS - 1);
  expect(c.running).toBe(true);
  await clock.advance(1);
  expect(c.running).toBe(false);
  expect(await c.diff("", "c", { from: "a", to: "b" })).toBe("echo c");
  expect(c.started).toBe(2);
});

test("past the budget the worker is terminated and the request fails; the next one gets a new worker", async () => {
  const clock = new FakeClock();
  const c = client({ url: fakeWorker(), clock });
  const hung = c.validate("hang", "metal");
  // The budget runs once the request is in the worker.
  await eventually("the request is in the worker", () => clock.pending > 0);
  await clock.advance(CONFIG_CHECK_BUDGET_MS);
  const error = await failure(hung);
  expect(error.code).toBe("Timeout");
  expect(error.message).toBe("validating the config took longer than 10s (the limit): it was stopped");
  expect(c.running).toBe(false);
  expect(await answer(c.validate("after", "metal"))).toBe("echo after");
  expect(c.started).toBe(2);
});

test("a worker that throws, exits, refuses or cannot start fails the request, not the caller", async () => {
  const c = client({ url: fakeWorker() });
  const thrown = await failure(c.validate("throw", "metal"));
  expect(thrown).toMatchObject({ code: "Failed" });
  expect(thrown.message).toBe("the config worker failed: thrown in the worker");
  const exited = await failure(c.validate("exit", "metal"));
  expect(exited.message).toBe("the config worker exited (code 3)");
  const refused = await failure(c.diff("", "refuse", { from: "a", to: "b" }));
  expect(refused.message).toBe("diffing the config against the one in force failed in the config worker: no");
  expect(await answer(c.validate("still here", "metal"))).toBe("echo still here");

  const missing = client({ url: join(import.meta.dir, "no-such-worker.ts") });
  const gone = await failure(missing.validate(WORKER, "metal"));
  expect(gone.code).toBe("Failed");
  expect(gone.message).toContain("no-such-worker.ts");
});

test("the worker's URL: beside this module from the sources, at the binary's root when compiled", () => {
  const source = configWorkerUrl();
  expect(existsSync(source)).toBe(true);
  expect(source.href).toEndWith("/apps/machined/src/config/config-worker.ts");
  expect(configWorkerUrl("file:///$bunfs/root/bronze").href).toBe(
    "file:///$bunfs/root/config/config-worker.ts",
  );
  // The image build compiles it into the node binary at that path.
  expect(NODE_BINARY_WORKERS).toContain(CONFIG_WORKER_ENTRY);
  expect(join(import.meta.dir, "..", CONFIG_WORKER_ENTRY)).toBe(source.pathname);
});
