import { closeOnAbort, FORWARDED_HEADER, NODE_HEADER, ROLE_HEADER } from "@bronze/api";
import type { DescMethod, DescMethodStreaming, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextKey,
  type HandlerContext,
  type Transport,
} from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import type { CallDecision } from "./authorize-call.ts";
import { formatNodeAddress } from "./node-address.ts";
import { needsDecodedResponse, opaqueMethod, rewrapOpaque } from "./opaque-response.ts";

/** The authorised decision for the call, set by apid's interceptor before the handler runs. */
export const DECISION_KEY = createContextKey<CallDecision | undefined>(undefined, {
  description: "apid call decision",
});

/** Where calls go: the upstream of a decided target, reserved for one call (upstreams.ts). */
export interface ProxyTargets {
  /** Throws the ConnectError to answer with when the target cannot be reached. */
  open(target: CallDecision["target"]): Promise<{ readonly transport: Transport; release(): void }>;
}

interface Upstream {
  readonly transport: Transport;
  readonly header: Headers;
  release(): void;
}

/** The headers apid sends upstream for a decided call: the role, and the forwarded mark to a node. */
export function upstreamHeaders(decision: CallDecision): Record<string, string> {
  return decision.target.kind === "machined"
    ? { [ROLE_HEADER]: decision.role }
    : { [ROLE_HEADER]: decision.role, [FORWARDED_HEADER]: "1" };
}

async function upstreamFor(ctx: HandlerContext, targets: ProxyTargets): Promise<Upstream> {
  const decision = ctx.values.get(DECISION_KEY);
  if (decision === undefined) throw new ConnectError("call was not authorised", Code.Internal);
  const header = new Headers(upstreamHeaders(decision));
  const { transport, release } = await targets.open(decision.target);
  if (decision.target.kind === "node")
    ctx.responseHeader.set(NODE_HEADER, formatNodeAddress(decision.target.node));
  return { transport, header, release };
}

function unaryHandler(method: DescMethodUnary, targets: ProxyTargets) {
  const opaque = opaqueMethod(method);
  return async (req: unknown, ctx: HandlerContext) => {
    const { transport, header, release } = await upstreamFor(ctx, targets);
    try {
      if (needsDecodedResponse(ctx.requestHeader.get("content-type"))) {
        return (await transport.unary(method, ctx.signal, ctx.timeoutMs(), header, req as never)).message;
      }
      const res = await transport.unary(opaque, ctx.signal, ctx.timeoutMs(), header, req as never);
      return rewrapOpaque(method.output, res.message);
    } finally {
      release();
    }
  };
}

function serverStreamHandler(method: DescMethodStreaming, targets: ProxyTargets) {
  const opaque = opaqueMethod(method);
  return (req: unknown, ctx: HandlerContext) => {
    const decoded = needsDecodedResponse(ctx.requestHeader.get("content-type"));
    const pass = async function* () {
      const { transport, header, release } = await upstreamFor(ctx, targets);
      try {
        // The upstream call shares the caller's signal: a caller going away cancels it.
        const res = await transport.stream(
          decoded ? method : opaque,
          ctx.signal,
          ctx.timeoutMs(),
          header,
          createAsyncIterable([req as never]),
        );
        // Pulled one message at a time as the caller's stream takes them: HTTP/2 flow control
        // holds the upstream back when the caller reads slowly.
        if (decoded) yield* res.message;
        else for await (const message of res.message) yield rewrapOpaque(method.output, message);
      } finally {
        release();
      }
    };
    return closeOnAbort(pass(), ctx.signal);
  };
}

/**
 * Registers every method of `service` as a pass-through to the decided upstream (machined or another
 * node's apid), generated from the service descriptor. Binary responses pass through undecoded
 * (opaque-response.ts); JSON ones are decoded and re-encoded. Only unary and server-streaming methods exist
 * in Bronze's API; another kind is answered Unimplemented.
 */
export function registerProxy(router: ConnectRouter, service: DescService, targets: ProxyTargets): void {
  for (const method of service.methods as DescMethod[]) {
    switch (method.methodKind) {
      case "unary":
        router.rpc(method, unaryHandler(method as DescMethodUnary, targets) as never);
        break;
      case "server_streaming":
        router.rpc(method, serverStreamHandler(method as DescMethodStreaming, targets) as never);
        break;
      default:
        router.rpc(method, (() => {
          throw new ConnectError(
            `${method.name}: ${method.methodKind} calls are not proxied`,
            Code.Unimplemented,
          );
        }) as never);
    }
  }
}
