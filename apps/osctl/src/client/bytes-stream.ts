// The server-streaming calls whose answer is one `bytes` field (logs, read, copy, an etcd snapshot), read raw off the
// session's HTTP/2 stream (@bronze/grpc-stream): the pieces arrive as views of what HTTP/2 delivered,
// with no message assembled or decoded. Errors are the ConnectErrors the Connect client throws.

import { callBytesStream } from "@bronze/grpc-stream";
import type { DescMessage, DescMethodServerStreaming, MessageInitShape } from "@bufbuild/protobuf";
import { create, toBinary } from "@bufbuild/protobuf";
import type { NodeSession } from "./node-client.ts";

/** The number of the answer's only `bytes` field; a method whose answer has another shape is refused. */
export function bytesFieldOf(method: DescMethodServerStreaming): number {
  const fields = method.output.fields;
  const only = fields[0];
  if (
    fields.length !== 1 ||
    only === undefined ||
    only.fieldKind !== "scalar" ||
    only.scalar !== 12 /* BYTES */
  )
    throw new Error(`${method.parent.typeName}.${method.name}: its answer is not one bytes field`);
  return only.number;
}

export function bytesStream<I extends DescMessage, O extends DescMessage>(
  session: Pick<NodeSession, "sessions">,
  method: DescMethodServerStreaming<I, O>,
  input: MessageInitShape<I>,
  options: { headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number } = {},
): AsyncIterable<Uint8Array> {
  return callBytesStream({
    sessions: session.sessions,
    path: `/${method.parent.typeName}/${method.name}`,
    request: toBinary(method.input, create(method.input, input)),
    field: bytesFieldOf(method),
    headers: options.headers,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
  });
}
