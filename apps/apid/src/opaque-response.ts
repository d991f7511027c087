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

type UnknownField = NonNullable<Message["$unknown"]>[number];

function varintSize(value: number): number {
  let size = 1;
  for (let v = value >>> 7; v > 0; v >>>= 7) size++;
  return size;
}

/**
 * The unknown fields as one entry when they are consecutive views of one buffer (as the binary reader
 * leaves them): the first field's tag, then every byte up to the end of the last field, tags included.
 * Writing it is one copy instead of one tag and one copy per field (a log message carries hundreds of
 * lines, each its own field). Anything else is returned as it is.
 */
export function coalesceUnknown(fields: readonly UnknownField[]): UnknownField[] {
  const first = fields[0];
  if (first === undefined || fields.length === 1) return [...fields];
  let end = first.data.byteOffset + first.data.byteLength;
  for (let i = 1; i < fields.length; i++) {
    const field = fields[i] as UnknownField;
    const tagSize = varintSize(((field.no << 3) | field.wireType) >>> 0);
    if (field.data.buffer !== first.data.buffer || field.data.byteOffset !== end + tagSize)
      return [...fields];
    end = field.data.byteOffset + field.data.byteLength;
  }
  const data = new Uint8Array(first.data.buffer, first.data.byteOffset, end - first.data.byteOffset);
  return [{ no: first.no, wireType: first.wireType, data }];
}

/**
 * The opaque response as a message of `schema` carrying the same bytes: the binary encoding writes
 * them back unchanged. Only for binary responses: JSON does not carry unknown fields.
 */
export function rewrapOpaque(schema: DescMessage, opaque: Message): Message {
  const message = create(schema) as Message;
  if (opaque.$unknown !== undefined) message.$unknown = coalesceUnknown(opaque.$unknown);
  return message;
}

/** Whether a request's content type asks for JSON (Connect JSON, gRPC+json, gRPC-web+json), or is unknown. */
export function needsDecodedResponse(contentType: string | null): boolean {
  return contentType === null || contentType.includes("json");
}
