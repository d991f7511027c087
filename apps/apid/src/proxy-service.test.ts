// The generated pass-through, in memory (createRouterTransport) on both sides.
import { expect, test } from "bun:test";
import { LogLineDecoder, MachineService, ROLE_HEADER } from "@bronze/api";
import {
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
  type Interceptor,
} from "@connectrpc/connect";
import type { CallDecision } from "./authorize-call.ts";
import { DECISION_KEY, registerProxy } from "./proxy-service.ts";

function setup(decision: CallDecision | undefined) {
  const seen: { method: string; role: string | null; forwarded: string | null }[] = [];
  let released = 0;
  const upstream = createRouterTransport(
    (router) =>
      router.service(MachineService, {
        hostname: () => ({ hostname: "up" }),
        async *logs(req) {
          for (let i = 0; i < 3; i++) yield { data: new TextEncoder().encode(`${req.id} ${i}\n`) };
        },
      }),
    {
      router: {
        interceptors: [
          (next) => (req) => {
            seen.push({
              method: req.method.name,
              role: req.header.get(ROLE_HEADER),
              forwarded: req.header.get("x-bronze-forwarded"),
            });
            return next(req);
          },
        ],
      },
    },
  );
  const decide: Interceptor = (next) => (req) => {
    req.contextValues.set(DECISION_KEY, decision);
    return next(req);
  };
  const proxy = createRouterTransport(
    (router) =>
      registerProxy(router, MachineService, {
        open: async () => ({ transport: upstream, release: () => released++ }),
      }),
    { router: { interceptors: [decide] } },
  );
  return { client: createClient(MachineService, proxy), seen, released: () => released };
}

test("every method of the service is registered", async () => {
  const { client, seen } = setup({ role: "os:admin", target: { kind: "machined" } });
  // Every call reaches the upstream (which answers Unimplemented for what it lacks).
  for (const method of MachineService.methods) {
    const call = client[method.localName as "memory"] as (
      req: object,
    ) => Promise<unknown> | AsyncIterable<unknown>;
    const result = call({});
    await (async () => {
      if (Symbol.asyncIterator in result) for await (const _ of result);
      else await result;
    })().catch(() => {});
  }
  expect(seen.map((s) => s.method)).toEqual(MachineService.methods.map((m) => m.name));
  expect(seen.length).toBe(38);
});

test("unary and streaming calls pass through with the decided role only", async () => {
  const { client, seen, released } = setup({ role: "os:reader", target: { kind: "machined" } });
  expect((await client.hostname({}, { headers: { [ROLE_HEADER]: "os:admin" } })).hostname).toBe("up");
  const lines: string[] = [];
  for await (const m of client.logs({ id: "kubelet" })) lines.push(...new LogLineDecoder().push(m.data));
  expect(lines).toEqual(["kubelet 0", "kubelet 1", "kubelet 2"]);
  expect(seen).toEqual([
    { method: "Hostname", role: "os:reader", forwarded: null },
    { method: "Logs", role: "os:reader", forwarded: null },
  ]);
  // Each call gave its upstream back when it ended.
  expect(released()).toBe(2);
});

test("a forwarded call is marked and labelled with its node", async () => {
  const { client, seen } = setup({
    role: "os:operator",
    target: { kind: "node", node: { host: "10.0.0.2", port: 50000 } },
  });
  let header: Headers | undefined;
  await client.hostname({}, { onHeader: (h) => (header = h) });
  expect(seen).toEqual([{ method: "Hostname", role: "os:operator", forwarded: "1" }]);
  expect(header?.get("x-bronze-node")).toBe("10.0.0.2:50000");
});

test("a call without a decision is refused", async () => {
  const { client, seen } = setup(undefined);
  const e = ConnectError.from(await client.hostname({}).catch((x) => x));
  expect(e.code).toBe(Code.Internal);
  expect(seen).toEqual([]);
});
