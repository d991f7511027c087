import { expect, test } from "bun:test";
import { NODE_HEADER } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { failed, fanOut, succeeded } from "./fan-out.ts";

test("one call per node, concurrently, each with its node header", async () => {
  const started: string[] = [];
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const pending = fanOut({ endpoint: "ep", nodes: ["a", "b", "c"] }, async (n) => {
    started.push(n.headers[NODE_HEADER] ?? "");
    await gate; // every call must have started before any finishes: they run concurrently
    return n.node.toUpperCase();
  });
  await Promise.resolve();
  expect(started).toEqual(["a", "b", "c"]);
  release();
  expect(await pending).toEqual([
    { node: "a", value: "A" },
    { node: "b", value: "B" },
    { node: "c", value: "C" },
  ]);
});

test("no nodes: one call without the header, labelled with the endpoint", async () => {
  const results = await fanOut({ endpoint: "10.0.0.10", nodes: [] }, async (n) => n.headers);
  expect(results).toEqual([{ node: "10.0.0.10", value: {} }]);
});

test("a failing node is reported with its translated error; the others still answer", async () => {
  const results = await fanOut({ endpoint: "ep", nodes: ["ok", "bad"] }, async (n) => {
    if (n.node === "bad") throw new ConnectError("os:reader may not call Reboot", Code.PermissionDenied);
    return 1;
  });
  expect(succeeded(results)).toEqual([{ node: "ok", value: 1 }]);
  expect(failed(results)).toEqual([
    { node: "bad", error: "permission denied: os:reader may not call Reboot" },
  ]);
});

test("only calls that failed before any answer are diagnosed, once for all the nodes failing together", async () => {
  let diagnoses = 0;
  const target = {
    endpoint: "127.0.0.1:50000",
    nodes: ["a", "b", "denied", "local"],
    diagnose: async () => {
      diagnoses++;
      return "TLS handshake with 127.0.0.1:50000 failed: apid rejected the client certificate";
    },
  };
  const results = await fanOut(target, async (n) => {
    if (n.node === "denied") throw new ConnectError("os:reader may not call Reboot", Code.PermissionDenied);
    if (n.node === "local") throw new Error("local failure");
    throw new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
  });
  expect(failed(results)).toEqual([
    { node: "a", error: "TLS handshake with 127.0.0.1:50000 failed: apid rejected the client certificate" },
    { node: "b", error: "TLS handshake with 127.0.0.1:50000 failed: apid rejected the client certificate" },
    { node: "denied", error: "permission denied: os:reader may not call Reboot" },
    { node: "local", error: "local failure" },
  ]);
  expect(diagnoses).toBe(2); // fanOut asks per failing node; endpointDiagnoser shares the handshake

  // The diagnosis finding nothing wrong keeps the call's own error.
  const kept = await fanOut({ ...target, nodes: ["a"], diagnose: async () => undefined }, async () => {
    throw new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
  });
  expect(failed(kept)).toEqual([
    { node: "a", error: "canceled: http/2 stream closed with error code CANCEL (0x8)" },
  ]);
});

test("no diagnosis when every call succeeds", async () => {
  let diagnoses = 0;
  const results = await fanOut(
    { endpoint: "ep", nodes: ["a"], diagnose: async () => String(++diagnoses) },
    async () => 1,
  );
  expect([succeeded(results).length, diagnoses]).toEqual([1, 0]);
});
