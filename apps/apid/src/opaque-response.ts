import { create, type DescMessage, type DescMethod, type Message } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";

/**
 * A copy of `method` whose responses decode as an empty message: every field lands, as raw bytes, in
 * its unknown fields. A pass-through then skips decoding and re-encoding the payload (strings above
 * all), which is most of its cost on log streams.
 */
export function opaqueMethod<M extends DescMethod>(method: M): M {
  return { ...method, output: EmptySchema } as M;
}

/**
 * The opaque response as a message of `schema` carrying the same bytes: the binary encoding writes
 * them back unchanged. Only for binary responses: JSON does not carry unknown fields.
 */
export function rewrapOpaque(schema: DescMessage, opaque: Message): Message {
  const message = create(schema) as Message;
  message.$unknown = opaque.$unknown;
  return message;
}

/** Whether a request's content type asks for JSON (Connect JSON, gRPC+json, gRPC-web+json), or is unknown. */
export function needsDecodedResponse(contentType: string | null): boolean {
  return contentType === null || contentType.includes("json");
}
