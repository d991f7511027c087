import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { FakeClock, settle } from "../testing/fake-clock.ts";
import {
  type AcquisitionOptions,
  acquireConfig,
  DEFAULT_FETCH_RETRY,
  retryDelay,
} from "./config-acquisition.ts";
import { ConfigStore } from "./config-store.ts";
import type { UrlVariableProviders } from "./url-variables.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
const CONTROLPLANE = readFileSync(join(TESTDATA, "controlplane.yaml"), "utf8");
const INVALID = WORKER.replace("type: worker", "type: workr").replace("dhcp: true", "dhcp: yes please");

// A real HTTP server: each test sets what it answers.
let handler: (req: Request) => Response | Promise<Response> = () => new Response("unset", { status: 500 });
const requests: string[] = [];
let server: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      requests.push(new URL(req.url).pathname);
      return handler(req);
    },
  });
});
afterAll(() => server.stop(true));

let dir: string;
let store: ConfigStore;
let clock: FakeClock;
let lines: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "acquire-"));
  store = new ConfigStore(join(dir, "state"));
  clock = new FakeClock();
  lines = [];
  requests.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const variables: UrlVariableProviders = {
  mac: () => "52:54:00:12:34:56",
  uuid: () => "4c4c4544-0042-3010-8051-b7c04f4a4d32",
  serial: () => undefined,
  hostname: () => "node-1",
};

function options(extra: Partial<AcquisitionOptions> = {}): AcquisitionOptions {
  return {
    store,
    mode: "metal",
    fetch: (url, init) => fetch(url, init),
    clock,
    variables,
    log: (l) => lines.push(l),
    url: `http://127.0.0.1:${server.port}/configs/\${mac}/\${uuid}.yaml`,
    ...extra,
  };
}

/** Waits (in real time) until a log line matching `pattern` appears. */
const logged = (pattern: RegExp) =>
  eventually(`a log line matching ${pattern}`, () => lines.some((l) => pattern.test(l)), 10_000, 2);

describe("acquireConfig from the URL", () => {
  test("retries with exponential backoff until the server answers, then validates and saves", async () => {
    let calls = 0;
    handler = () => (++calls <= 2 ? new Response("not yet", { status: 503 }) : new Response(WORKER));
    const result = acquireConfig(options());
    await logged(/attempt 1 failed: HTTP 503.*retrying in 1000 ms/);
    await clock.advance(999);
    expect(requests).toHaveLength(1);
    await clock.advance(1);
    await logged(/attempt 2 failed: HTTP 503.*retrying in 2000 ms/);
    await clock.advance(2000);
    const acquired = await result;
    expect(acquired.mode).toBe("configured");
    if (acquired.mode !== "configured") return;
    expect(acquired.source).toBe("url");
    expect(acquired.config.machine.network?.hostname).toBe("worker-1");
    expect(requests).toEqual([
      "/configs/52%3A54%3A00%3A12%3A34%3A56/4c4c4544-0042-3010-8051-b7c04f4a4d32.yaml",
      "/configs/52%3A54%3A00%3A12%3A34%3A56/4c4c4544-0042-3010-8051-b7c04f4a4d32.yaml",
      "/configs/52%3A54%3A00%3A12%3A34%3A56/4c4c4544-0042-3010-8051-b7c04f4a4d32.yaml",
    ]);
    expect(store.current()).toBe(WORKER);
    expect(lines.filter((l) => l.includes("downloading"))).toHaveLength(3);
    expect(lines.some((l) => l.includes("(attempt 3 of 8)"))).toBe(true);
    expect(clock.monotonic()).toBe(3000);
  });

  test("a config larger than 1 MiB is refused while it streams, without retrying: maintenance saying so (M6)", async () => {
    let calls = 0;
    handler = () => {
      calls++;
      // No Content-Length: the cap must hold while reading.
      let sent = 0;
      return new Response(
        new ReadableStream({
          pull(c) {
            if (sent >= 32 * 1024 * 1024) return c.close();
            sent += 65536;
            c.enqueue(new TextEncoder().encode(`${"#".repeat(65535)}\n`));
          },
        }),
      );
    };
    const acquired = await acquireConfig(options());
    expect(acquired).toEqual({
      mode: "maintenance",
      reason:
        `the config at http://127.0.0.1:${server.port}/configs/$%7Bmac%7D/$%7Buuid%7D.yaml is larger than 1 MiB: refused`.replace(
          "$%7Bmac%7D/$%7Buuid%7D",
          "52%3A54%3A00%3A12%3A34%3A56/4c4c4544-0042-3010-8051-b7c04f4a4d32",
        ),
    });
    expect(calls).toBe(1);
    expect(store.current()).toBeUndefined();
  });

  test("a token in the config URL (userinfo, query) never reaches the log (M6)", async () => {
    handler = () => new Response(WORKER);
    const url = `http://bronze:t0ps3cret@127.0.0.1:${server.port}/cp.yaml?token=abc123`;
    const acquired = await acquireConfig(options({ url }));
    expect(acquired.mode).toBe("configured");
    expect(lines.join("\n")).not.toContain("t0ps3cret");
    expect(lines.join("\n")).not.toContain("abc123");
    expect(lines).toContain(`config: downloaded from http://127.0.0.1:${server.port}/cp.yaml?… and saved`);
  });

  test("an invalid config is logged with every issue and leads to maintenance, without retrying", async () => {
    handler = () => new Response(INVALID);
    const acquired = await acquireConfig(options());
    expect(acquired).toEqual({ mode: "maintenance", reason: expect.stringContaining("is invalid") });
    expect(requests).toHaveLength(1);
    expect(store.current()).toBeUndefined();
    const issues = lines.filter((l) => l.startsWith("  config from"));
    expect(issues.length).toBeGreaterThanOrEqual(2);
    expect(issues.some((l) => l.includes("machine.type"))).toBe(true);
    expect(issues.some((l) => l.includes("dhcp"))).toBe(true);
  });

  test("gives up after the last attempt (delays capped) and enters maintenance", async () => {
    handler = () => new Response("gone", { status: 404, statusText: "Not Found" });
    const result = acquireConfig(options({ retry: { attempts: 4, maxDelayMs: 3000 } }));
    for (const delay of [1000, 2000, 3000]) {
      await logged(new RegExp(`retrying in ${delay} ms`));
      await clock.advance(delay);
    }
    const acquired = await result;
    expect(acquired.mode).toBe("maintenance");
    expect(requests).toHaveLength(4);
    expect(
      lines.some((l) => l.includes("attempt 4 failed: HTTP 404 Not Found; giving up after 4 attempts")),
    ).toBe(true);
  });

  test("an attempt without an answer times out", async () => {
    handler = () => new Promise<Response>(() => {});
    const result = acquireConfig(options({ retry: { attempts: 1, timeoutMs: 5000 } }));
    await eventually(
      "the request made, its deadline armed",
      () => requests.length === 1 && clock.pending === 1,
      10_000,
      2,
    );
    await clock.advance(5000);
    expect((await result).mode).toBe("maintenance");
    expect(lines.some((l) => l.includes("no answer within 5000 ms"))).toBe(true);
  });

  test("a connection refused is retried like any failure", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = closed.port;
    closed.stop(true);
    const result = acquireConfig(options({ url: `http://127.0.0.1:${port}/x`, retry: { attempts: 2 } }));
    await logged(/attempt 1 failed: .*retrying in 1000 ms/);
    await clock.advance(1000);
    expect((await result).mode).toBe("maintenance");
  });

  test("an unknown or unavailable variable means maintenance, with no request", async () => {
    const unknown = await acquireConfig(options({ url: `http://127.0.0.1:${server.port}/\${ip}.yaml` }));
    expect(unknown.mode === "maintenance" && unknown.reason).toContain(`unknown variable \${ip}`);
    const unavailable = await acquireConfig(
      options({ url: `http://127.0.0.1:${server.port}/\${serial}.yaml` }),
    );
    expect(unavailable.mode === "maintenance" && unavailable.reason).toContain(`\${serial} is not known`);
    expect(requests).toHaveLength(0);
  });

  test("aborting stops the retries", async () => {
    handler = () => new Response("", { status: 500 });
    const abort = new AbortController();
    const result = acquireConfig(options({ signal: abort.signal }));
    await logged(/retrying in 1000 ms/);
    abort.abort();
    await settle();
    expect((await result).mode).toBe("maintenance");
    expect(requests).toHaveLength(1);
  });
});

describe("acquireConfig from STATE and provided configs", () => {
  test("no stored config and no URL: maintenance", async () => {
    const acquired = await acquireConfig(options({ url: undefined }));
    expect(acquired).toEqual({ mode: "maintenance", reason: "no config stored and no bronze.config= URL" });
  });

  test("a stored config is used without the network; a staged one is promoted first", async () => {
    store.save(WORKER);
    store.stage(CONTROLPLANE);
    const acquired = await acquireConfig(options());
    expect(acquired.mode === "configured" && acquired.source).toBe("state");
    expect(acquired.mode === "configured" && acquired.config.machine.type).toBe("controlplane");
    expect(store.staged()).toBeUndefined();
    expect(requests).toHaveLength(0);
  });

  test("an invalid stored config is reported and the URL is tried", async () => {
    store.save(INVALID);
    handler = () => new Response(WORKER);
    const acquired = await acquireConfig(options());
    expect(acquired.mode === "configured" && acquired.source).toBe("url");
    expect(lines).toContain("config: ignoring the stored config");
    expect(store.current()).toBe(WORKER);
  });

  test("a provided config wins over the store and is saved", async () => {
    store.save(WORKER);
    const acquired = await acquireConfig(options({ provided: { text: CONTROLPLANE, origin: "cp.yaml" } }));
    expect(acquired.mode === "configured" && acquired.source).toBe("provided");
    expect(store.current()).toBe(CONTROLPLANE);
  });
});

test("retryDelay doubles up to the cap", () => {
  expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelay(n, DEFAULT_FETCH_RETRY))).toEqual([
    1000, 2000, 4000, 8000, 16000, 30000, 30000,
  ]);
});
