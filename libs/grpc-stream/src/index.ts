export { BytesFieldDecoder, type BytesFieldHandlers, GrpcStreamError } from "./bytes-field-decoder.ts";
export { type BytesStreamCall, callBytesStream, type StreamSessions } from "./bytes-stream-call.ts";
export { coalescePieces } from "./coalesce-pieces.ts";
