// The pace-keeping probes of the hostile-input bench, in a worker thread of their own: an admin's
// Version through apid every 100 ms, and Version on machined's socket every 50 ms. In their own
// event loop, the bench's own work (building bombs, mutating configs) cannot delay them: what they
// measure is the node. Each call starts on time whether or not the previous one has answered (a stall
// is measured for as long as it lasts), at most 100 in flight per probe.
import { connect as netConnect } from "node:net";
import { checkServerIdentity, HTTP2_CLIENT_SETTINGS, MachineService, ROLE_HEADER } from "@bronze/api";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

declare const self: Worker;

export interface ProbeConfig {
  readonly apidUrl: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly socketPath: string;
}

export interface ProbeSample {
  readonly probe: "apid" | "socket";
  /** Epoch milliseconds when the call started. */
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
  readonly error?: string;
}

export type ProbeMessage = { type: "samples"; samples: ProbeSample[] } | { type: "stopped"; skipped: number };

const MAX_IN_FLIGHT = 100;
const now = () => performance.timeOrigin + performance.now();

function start(config: ProbeConfig) {
  const apidSessions = new Http2SessionManager(config.apidUrl, undefined, {
    ca: config.ca,
    cert: config.cert,
    key: config.key,
    checkServerIdentity,
    settings: HTTP2_CLIENT_SETTINGS,
  });
  const apid = createClient(
    MachineService,
    createGrpcTransport({ baseUrl: config.apidUrl, sessionManager: apidSessions }),
  );
  const socketSessions = new Http2SessionManager("http://localhost", undefined, {
    createConnection: () => netConnect(config.socketPath),
  });
  const socket = createClient(
    MachineService,
    createGrpcTransport({
      baseUrl: "http://localhost",
      sessionManager: socketSessions,
      interceptors: [
        (next) => (req) => {
          req.header.set(ROLE_HEADER, "os:admin");
          return next(req);
        },
      ],
    }),
  );
  let pending: ProbeSample[] = [];
  let skipped = 0;
  const inFlight = { apid: 0, socket: 0 };
  const fire = (probe: "apid" | "socket", call: () => Promise<unknown>) => {
    if (inFlight[probe] >= MAX_IN_FLIGHT) {
      skipped++;
      return;
    }
    inFlight[probe]++;
    const at = now();
    call()
      .then(
        () => pending.push({ probe, at, ms: now() - at, ok: true }),
        (error: unknown) =>
          pending.push({
            probe,
            at,
            ms: now() - at,
            ok: false,
            error: (error instanceof Error ? error.message : String(error)).slice(0, 300),
          }),
      )
      .finally(() => {
        inFlight[probe]--;
      });
  };
  const timers = [
    setInterval(() => fire("apid", () => apid.version({}, { timeoutMs: 10_000 })), 100),
    setInterval(() => fire("socket", () => socket.version({}, { timeoutMs: 10_000 })), 50),
    setInterval(() => {
      if (pending.length === 0) return;
      self.postMessage({ type: "samples", samples: pending } satisfies ProbeMessage);
      pending = [];
    }, 500),
  ];
  return async () => {
    for (const t of timers) clearInterval(t);
    const deadline = Date.now() + 15_000;
    while ((inFlight.apid > 0 || inFlight.socket > 0) && Date.now() < deadline) await Bun.sleep(20);
    self.postMessage({ type: "samples", samples: pending } satisfies ProbeMessage);
    apidSessions.abort();
    socketSessions.abort();
    self.postMessage({ type: "stopped", skipped } satisfies ProbeMessage);
  };
}

let stop: (() => Promise<void>) | undefined;
self.onmessage = (event: MessageEvent<{ type: "start"; config: ProbeConfig } | { type: "stop" }>) => {
  if (event.data.type === "start") stop = start(event.data.config);
  else void stop?.();
};
