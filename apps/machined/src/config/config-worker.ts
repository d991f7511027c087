// The config worker's entry point: a Bun Worker (its own thread and heap) that validates configs and
// diffs them for ConfigApplier, so that PID 1's event loop keeps serving while a big config is checked
// (config-worker-client.ts starts it, bounds its time and replaces it when it fails). In the compiled
// node binary it is an extra entry point of `bun build --compile` (@bronze/image's nodeBinaryEntries).
import { type ConfigWorkerMessage, type ConfigWorkerReply, runConfigCheck } from "./config-check.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<ConfigWorkerMessage>) => {
  const { id, request } = event.data;
  let reply: ConfigWorkerReply;
  try {
    reply = { id, ok: true, value: runConfigCheck(request) };
  } catch (error) {
    reply = { id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  self.postMessage(reply);
};
