// The bytes of one field of a gRPC message stream, read as they arrive: the gRPC envelopes (a flag
// byte and a 4-byte length before each message) and the protobuf fields of each message are walked
// across the HTTP/2 chunks, and the chosen `bytes` field is handed on in pieces that are views of
// those chunks. No message is assembled and nothing is copied: a stream of snapshots, files or logs
// costs what reading its chunks costs. Every other field is skipped, but for varints, which are kept
// for the end of their message (etcd's snapshot says there how many bytes are still to come).

/** A malformed stream: its envelopes or its protobuf fields are not what they say. */
export class GrpcStreamError extends Error {
  override readonly name = "GrpcStreamError";
}

export interface BytesFieldHandlers {
  /**
   * A piece of the field, a view into the chunk being read: use or copy it before the next chunk is
   * pushed. A message's field may come in any number of pieces, and a message may repeat the field.
   */
  onBytes(piece: Uint8Array): void;
  /** The end of a message, with the varint fields it had (by field number; the last one wins). */
  onMessage?(varints: ReadonlyMap<number, bigint>): void;
}

enum State {
  Envelope,
  Tag,
  Varint,
  Length,
  Skip,
  Pass,
}

/** Wire types of protobuf's encoding. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/**
 * Walks a gRPC response stream whose messages carry the bytes of field `field` (wire type LEN).
 * `push` each chunk as it comes, `end` when the stream ends: both throw GrpcStreamError on anything
 * malformed (compressed messages among it: no compression is ever asked for).
 */
export class BytesFieldDecoder {
  #state = State.Envelope;
  readonly #envelope = new Uint8Array(5);
  #envelopeFilled = 0;
  /** Bytes of the current message not read yet. */
  #messageLeft = 0;
  /** Bytes of the current field's body (Skip, Pass) not read yet. */
  #fieldLeft = 0;
  #tag = 0;
  #varint = 0n;
  #varintShift = 0n;
  #varints = new Map<number, bigint>();

  constructor(
    readonly field: number,
    readonly handlers: BytesFieldHandlers,
    /** The largest message accepted (its envelope's length), as a gRPC client's read limit. */
    readonly maxMessageBytes = 64 * 1024 * 1024,
  ) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#state === State.Envelope) {
        const take = Math.min(5 - this.#envelopeFilled, chunk.length - at);
        this.#envelope.set(chunk.subarray(at, at + take), this.#envelopeFilled);
        this.#envelopeFilled += take;
        at += take;
        if (this.#envelopeFilled === 5) this.#startMessage();
        continue;
      }
      const end = at + Math.min(this.#messageLeft, chunk.length - at);
      if (this.#state === State.Pass || this.#state === State.Skip) {
        const take = Math.min(this.#fieldLeft, end - at);
        if (this.#state === State.Pass && take > 0) this.handlers.onBytes(chunk.subarray(at, at + take));
        at += take;
        this.#messageLeft -= take;
        this.#fieldLeft -= take;
        if (this.#fieldLeft === 0) this.#state = State.Tag;
      } else {
        // one byte of a varint: a tag, a varint field, or a length
        const byte = chunk[at] as number;
        at++;
        this.#messageLeft--;
        this.#varintByte(byte);
      }
      if (this.#messageLeft === 0) this.#endMessage();
    }
  }

  /** The stream ended: throws if it ended inside a message. */
  end(): void {
    if (this.#state !== State.Envelope || this.#envelopeFilled !== 0)
      throw new GrpcStreamError("the stream ended inside a message");
  }

  #startMessage(): void {
    const view = new DataView(this.#envelope.buffer);
    const flags = view.getUint8(0);
    const length = view.getUint32(1);
    this.#envelopeFilled = 0;
    if (flags & 1) throw new GrpcStreamError("a compressed message, though none was asked for");
    if (flags !== 0) throw new GrpcStreamError(`a message with unknown flags ${flags}`);
    if (length > this.maxMessageBytes)
      throw new GrpcStreamError(`a message of ${length} bytes, over the limit of ${this.maxMessageBytes}`);
    this.#messageLeft = length;
    this.#varints = new Map();
    this.#state = State.Tag;
    this.#resetVarint();
    if (length === 0) this.#endMessage();
  }

  #endMessage(): void {
    if (this.#state !== State.Tag || this.#varintShift !== 0n)
      throw new GrpcStreamError("a message ends inside one of its fields");
    this.#state = State.Envelope;
    this.handlers.onMessage?.(this.#varints);
  }

  #resetVarint(): void {
    this.#varint = 0n;
    this.#varintShift = 0n;
  }

  #varintByte(byte: number): void {
    this.#varint |= BigInt(byte & 0x7f) << this.#varintShift;
    this.#varintShift += 7n;
    if (byte & 0x80) {
      if (this.#varintShift >= 70n) throw new GrpcStreamError("a varint longer than 10 bytes");
      if (this.#messageLeft === 0) throw new GrpcStreamError("a message ends inside a varint");
      return;
    }
    const value = this.#varint;
    this.#resetVarint();
    if (this.#state === State.Tag) this.#onTag(value);
    else if (this.#state === State.Varint) {
      this.#varints.set(this.#tag >>> 3, value);
      this.#state = State.Tag;
    } else this.#onLength(value);
  }

  #onTag(tag: bigint): void {
    if (tag > 0xffffffffn || tag >> 3n === 0n) throw new GrpcStreamError(`an invalid field tag ${tag}`);
    this.#tag = Number(tag);
    switch (this.#tag & 7) {
      case VARINT:
        this.#state = State.Varint;
        return;
      case LEN:
        this.#state = State.Length;
        return;
      case I64:
        this.#skip(8);
        return;
      case I32:
        this.#skip(4);
        return;
      default:
        throw new GrpcStreamError(
          `field ${this.#tag >>> 3} has wire type ${this.#tag & 7}, which is not supported`,
        );
    }
  }

  #onLength(length: bigint): void {
    if (length > BigInt(this.#messageLeft))
      throw new GrpcStreamError(
        `field ${this.#tag >>> 3} is longer (${length}) than what is left of its message`,
      );
    if (this.#tag >>> 3 === this.field) {
      this.#state = State.Pass;
      this.#fieldLeft = Number(length);
    } else this.#skip(Number(length));
    if (this.#fieldLeft === 0) this.#state = State.Tag;
  }

  #skip(bytes: number): void {
    if (bytes > this.#messageLeft)
      throw new GrpcStreamError(
        `field ${this.#tag >>> 3} is longer (${bytes}) than what is left of its message`,
      );
    this.#state = State.Skip;
    this.#fieldLeft = bytes;
  }
}
