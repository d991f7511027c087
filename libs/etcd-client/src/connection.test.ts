import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { attemptOptions, Connection, normalizeEndpoint } from "./connection.ts";
import { EtcdError } from "./errors.ts";

test("endpoints become URL origins; without a scheme, https with TLS and http without", () => {
  expect(normalizeEndpoint("c", "https://10.0.0.2:2379", false)).toBe("https://10.0.0.2:2379");
  expect(normalizeEndpoint("c", "https://10.0.0.2:2379/", false)).toBe("https://10.0.0.2:2379");
  expect(normalizeEndpoint("c", "10.0.0.2:2379", true)).toBe("https://10.0.0.2:2379");
  expect(normalizeEndpoint("c", " 127.0.0.1:2379 ", false)).toBe("http://127.0.0.1:2379");
  expect(normalizeEndpoint("c", "[::1]:2379", true)).toBe("https://[::1]:2379");
});

test("an endpoint that is not an http(s) origin is InvalidArgument", () => {
  for (const bad of [
    "unix:///run/etcd.sock",
    "https://h:2379/v3",
    "https://h:2379?x=1",
    "http://",
    "https://u@h:1",
  ]) {
    expect(() => normalizeEndpoint("connect", bad, true)).toThrow(EtcdError);
  }
});

test("open validates its options and removes duplicate endpoints, keeping the order", () => {
  expect(() => Connection.open({ endpoints: [] })).toThrow("no endpoints given");
  expect(() => Connection.open({ endpoints: ["h:1"], timeoutMs: 0 })).toThrow("timeoutMs must be positive");
  const c = Connection.open({ endpoints: ["h2:1", "http://h1:1", "h2:1"] });
  expect(c.endpoints).toEqual(["http://h2:1", "http://h1:1"]);
  expect(c.endpoint).toBe("http://h2:1");
  expect(c.timeoutMs).toBe(10_000);
  c.close();
});

test("a closed connection refuses calls without trying", async () => {
  const c = Connection.open({ endpoints: ["h:1"] });
  c.close();
  let tried = false;
  const call = c.call('get "a"', undefined, async () => {
    tried = true;
  });
  await expect(call).rejects.toThrow('get "a": the client is closed');
  expect(tried).toBe(false);
});

test("an attempt gets what is left of the call's deadline, at least 1 ms; none without one", () => {
  expect(attemptOptions(1_500, undefined, 1_000).timeoutMs).toBe(500);
  expect(attemptOptions(1_000, undefined, 2_000).timeoutMs).toBe(1);
  expect(attemptOptions(Number.POSITIVE_INFINITY, undefined).timeoutMs).toBeUndefined();
  const signal = new AbortController().signal;
  expect(attemptOptions(5, signal, 0).signal).toBe(signal);
});

function refused(port: number): ConnectError {
  const cause = Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: "ECONNREFUSED" });
  return new ConnectError(cause.message, Code.Unavailable, undefined, undefined, cause);
}

test("an unavailable endpoint is passed over; the one that answers becomes the current one", async () => {
  const c = Connection.open({ endpoints: ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"] });
  const tried: string[] = [];
  const r = await c.call("memberAdd x", undefined, async (a) => {
    tried.push(a.endpoint);
    if (a.endpoint !== "http://127.0.0.1:2") throw refused(1);
    return "ok";
  });
  expect(r).toBe("ok");
  expect(tried).toEqual(["http://127.0.0.1:1", "http://127.0.0.1:2"]);
  expect(c.endpoint).toBe("http://127.0.0.1:2");
  // the next call starts there
  tried.length = 0;
  await c.call("get", undefined, async (a) => tried.push(a.endpoint));
  expect(tried).toEqual(["http://127.0.0.1:2"]);
  c.close();
});

test("a change that may have reached etcd is not sent again; a read is", async () => {
  const c = Connection.open({ endpoints: ["127.0.0.1:1", "127.0.0.1:2"] });
  const reset = () => new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
  const tried: string[] = [];
  const change = c.call("memberRemove 1", undefined, async (a) => {
    tried.push(a.endpoint);
    throw reset();
  });
  await expect(change).rejects.toMatchObject({ code: "Unavailable", op: "memberRemove 1" });
  expect(tried).toEqual(["http://127.0.0.1:1"]);
  const read = await c.call(
    "memberList",
    undefined,
    async (a) => {
      if (a.endpoint.endsWith(":1")) throw reset();
      return a.endpoint;
    },
    { idempotent: true },
  );
  expect(read).toBe("http://127.0.0.1:2");
  c.close();
});

test("a learner's refusal is passed over; other errors of etcd are not", async () => {
  const c = Connection.open({ endpoints: ["127.0.0.1:1", "127.0.0.1:2"] });
  const wire = (m: string, code: Code) => Object.assign(new ConnectError(m, code), { isWireError: true });
  const r = await c.call("put", undefined, async (a) => {
    if (a.endpoint.endsWith(":1")) throw wire("etcdserver: rpc not supported for learner", Code.Unavailable);
    return 1;
  });
  expect(r).toBe(1);
  const tried: string[] = [];
  const e = c.call("memberRemove 5", undefined, async (a) => {
    tried.push(a.endpoint);
    throw wire("etcdserver: member not found", Code.NotFound);
  });
  await expect(e).rejects.toMatchObject({
    code: "NotFound",
    reason: "MemberNotFound",
    detail: "etcdserver: member not found",
  });
  expect(tried).toHaveLength(1);
  c.close();
});

test("when no endpoint answers, the error names each", async () => {
  const c = Connection.open({ endpoints: ["127.0.0.1:1", "127.0.0.1:2"] });
  const e = c.call("status", undefined, async (a) => {
    throw refused(Number(a.endpoint.slice(-1)));
  });
  await expect(e).rejects.toMatchObject({
    code: "Unavailable",
    message:
      "status: no endpoint answered: etcd is unavailable at http://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1; " +
      "etcd is unavailable at http://127.0.0.1:2: connect ECONNREFUSED 127.0.0.1:2",
  });
  const single = Connection.open({ endpoints: ["127.0.0.1:1"] });
  await expect(single.call("status", undefined, async () => Promise.reject(refused(1)))).rejects.toThrow(
    "status: etcd is unavailable at http://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1",
  );
  c.close();
  single.close();
});
