// The worker's entry point itself, started as a Worker and spoken to with its messages.
import { afterEach, expect, test } from "bun:test";
import type { ConfigWorkerMessage, ConfigWorkerReply } from "./config-check.ts";
import { configWorkerUrl } from "./config-worker-client.ts";

const workers: Worker[] = [];
afterEach(() => {
  for (const w of workers.splice(0)) w.terminate();
});

function ask(worker: Worker, message: ConfigWorkerMessage): Promise<ConfigWorkerReply> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<ConfigWorkerReply>) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(message);
  });
}

test("answers each request with its id; a request that throws is an answer, and the worker goes on", async () => {
  const worker = new Worker(configWorkerUrl());
  workers.push(worker);
  const diff = await ask(worker, {
    id: 7,
    request: { kind: "diff", base: "a\n", text: "b\n", from: "x", to: "y" },
  });
  expect(diff).toEqual({ id: 7, ok: true, value: "--- x\n+++ y\n@@ -1,1 +1,1 @@\n-a\n+b\n" });
  const broken = { kind: "diff", base: null, text: "b\n", from: "x", to: "y" } as never;
  const thrown = await ask(worker, { id: 8, request: broken });
  expect(thrown).toMatchObject({ id: 8, ok: false });
  const again = await ask(worker, {
    id: 9,
    request: { kind: "validate", text: "version: v1alpha1\n", mode: "metal" },
  });
  expect(again).toMatchObject({ id: 9, ok: true, value: { ok: false } });
});
