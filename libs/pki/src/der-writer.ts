// A DER encoder (X.690) for exactly the types our certificates and CSRs use. Every function returns the
// complete TLV; constructed values take their already-encoded children. No @peculiar/x509 / asn1js, so
// generating keys and certificates loads nothing but this.

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Thrown for values DER cannot represent (negative INTEGER, a non-ASCII IA5String, a year past 9999...). */
export class DerEncodeError extends Error {}

/** A tag, a definite length (short form below 128, else long form), then the contents, in one buffer. */
export function tlv(tag: number, ...contents: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of contents) length += part.length;
  let lengthBytes = 0;
  if (length >= 0x80) for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes++;
  const out = new Uint8Array(2 + lengthBytes + length);
  out[0] = tag;
  if (lengthBytes === 0) out[1] = length;
  else {
    out[1] = 0x80 | lengthBytes;
    for (let i = lengthBytes, n = length; i > 0; i--, n = Math.floor(n / 256)) out[1 + i] = n % 256;
  }
  let offset = 2 + lengthBytes;
  for (const part of contents) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function derSequence(...items: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  return tlv(TAG.sequence, ...items);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** SET OF: DER orders the encoded elements as byte strings (X.690 §11.6). */
export function derSetOf(...items: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  return tlv(TAG.set, ...[...items].sort(compareBytes));
}

export function derBoolean(value: boolean): Uint8Array<ArrayBuffer> {
  return tlv(TAG.boolean, Uint8Array.of(value ? 0xff : 0x00));
}

export function derNull(): Uint8Array<ArrayBuffer> {
  return tlv(TAG.null);
}

/**
 * A non-negative INTEGER from a number, a bigint, or unsigned big-endian bytes: minimal (leading zero
 * bytes dropped) with a 0x00 prepended when the top bit is set, so it does not read as negative.
 */
export function derInteger(value: number | bigint | Uint8Array): Uint8Array<ArrayBuffer> {
  let magnitude: Uint8Array;
  if (value instanceof Uint8Array) magnitude = value;
  else {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new DerEncodeError(`INTEGER: ${value} is not a safe integer`);
    }
    let n = BigInt(value);
    if (n < 0n)
      throw new DerEncodeError(`INTEGER: ${value} is negative (only non-negative values are encoded)`);
    const bytes: number[] = [];
    do {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (n > 0n);
    magnitude = Uint8Array.from(bytes);
  }
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.length === 0 ? Uint8Array.of(0) : magnitude.subarray(start);
  return (trimmed[0] as number) & 0x80
    ? tlv(TAG.integer, Uint8Array.of(0), trimmed)
    : tlv(TAG.integer, trimmed);
}

/** A BIT STRING of whole bytes (keys, signatures). */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array<ArrayBuffer> {
  if (
    !Number.isInteger(unusedBits) ||
    unusedBits < 0 ||
    unusedBits > 7 ||
    (unusedBits > 0 && bytes.length === 0)
  ) {
    throw new DerEncodeError(`BIT STRING: bad unused-bit count ${unusedBits}`);
  }
  return tlv(TAG.bitString, Uint8Array.of(unusedBits), bytes);
}

/**
 * A named-bit BIT STRING (e.g. KeyUsage): bit `i` of `flags` is named bit `i` (bit 0 = the first byte's most
 * significant bit). DER drops trailing zero bits (X.690 §11.2.2).
 */
export function derNamedBits(flags: number): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
    throw new DerEncodeError(`BIT STRING: bad flags ${flags}`);
  }
  if (flags === 0) return derBitString(new Uint8Array(0));
  const highest = 31 - Math.clz32(flags);
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (let bit = 0; bit <= highest; bit++) {
    if (flags & (2 ** bit)) bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> (bit & 7));
  }
  return derBitString(bytes, bytes.length * 8 - (highest + 1));
}

export function derOctetString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(TAG.octetString, bytes);
}

const OID_TEXT = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const oidCache = new Map<string, Uint8Array<ArrayBuffer>>();

function base128(value: bigint, out: number[]): void {
  const groups = [Number(value & 0x7fn)];
  for (let n = value >> 7n; n > 0n; n >>= 7n) groups.unshift(Number(n & 0x7fn) | 0x80);
  out.push(...groups);
}

/** An OBJECT IDENTIFIER from dotted text: first two arcs as 40*a+b, every arc base-128 (arcs of any size). */
export function derOid(dotted: string): Uint8Array<ArrayBuffer> {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  if (!OID_TEXT.test(dotted)) throw new DerEncodeError(`OID: ${JSON.stringify(dotted)} is not a dotted OID`);
  const arcs = dotted.split(".").map((arc) => BigInt(arc));
  const [first, second] = arcs as [bigint, bigint];
  if (first < 2n && second >= 40n) {
    throw new DerEncodeError(`OID: ${dotted}: the second arc must be below 40 under ${first}`);
  }
  const content: number[] = [];
  base128(first * 40n + second, content);
  for (const arc of arcs.slice(2)) base128(arc, content);
  const encoded = tlv(TAG.oid, Uint8Array.from(content));
  oidCache.set(dotted, encoded);
  return encoded;
}

const encoder = new TextEncoder();

export function derUtf8String(text: string): Uint8Array<ArrayBuffer> {
  return tlv(TAG.utf8String, encoder.encode(text));
}

/** PrintableString's alphabet (X.680 §41.4). */
export const PRINTABLE_STRING = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function derPrintableString(text: string): Uint8Array<ArrayBuffer> {
  if (!PRINTABLE_STRING.test(text)) {
    throw new DerEncodeError(`PrintableString: ${JSON.stringify(text)} has characters outside its alphabet`);
  }
  return tlv(TAG.printableString, encoder.encode(text));
}

/** The bytes of an ASCII string (IA5String contents, also what [2] dNSName holds); throws on anything else. */
export function ia5Bytes(text: string): Uint8Array<ArrayBuffer> {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: IA5 is exactly 0x00-0x7f
  if (!/^[\x00-\x7f]*$/.test(text))
    throw new DerEncodeError(`IA5String: ${JSON.stringify(text)} is not ASCII`);
  return encoder.encode(text);
}

export function derIa5String(text: string): Uint8Array<ArrayBuffer> {
  return tlv(TAG.ia5String, ia5Bytes(text));
}

function checkedDate(date: Date, what: string): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    throw new DerEncodeError(`${what}: not a valid Date`);
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new DerEncodeError(`${what}: year ${year} is outside 0000-9999`);
  return date;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** MMDDHHMMSSZ of a date, UTC, whole seconds (milliseconds are dropped, as RFC 5280 requires). */
function monthToSeconds(date: Date): string {
  return `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
}

/** UTCTime YYMMDDHHMMSSZ; only for 1950-2049 (the two-digit year is read back in that window). */
export function derUtcTime(date: Date): Uint8Array<ArrayBuffer> {
  const year = checkedDate(date, "UTCTime").getUTCFullYear();
  if (year < 1950 || year > 2049) throw new DerEncodeError(`UTCTime: year ${year} is outside 1950-2049`);
  return tlv(TAG.utcTime, encoder.encode(`${pad(year % 100)}${monthToSeconds(date)}`));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ (no fractional seconds). */
export function derGeneralizedTime(date: Date): Uint8Array<ArrayBuffer> {
  const year = checkedDate(date, "GeneralizedTime").getUTCFullYear();
  return tlv(TAG.generalizedTime, encoder.encode(`${pad(year, 4)}${monthToSeconds(date)}`));
}

/** RFC 5280 §4.1.2.5: UTCTime for 1950 through 2049, GeneralizedTime otherwise. */
export function derTime(date: Date): Uint8Array<ArrayBuffer> {
  const year = checkedDate(date, "Time").getUTCFullYear();
  return year >= 1950 && year <= 2049 ? derUtcTime(date) : derGeneralizedTime(date);
}

/**
 * A constructed context-specific tag [n] around encoded values: `[n] EXPLICIT x`, or an `[n] IMPLICIT` SET or
 * SEQUENCE given its elements.
 */
export function derContextConstructed(
  tagNumber: number,
  ...encoded: readonly Uint8Array[]
): Uint8Array<ArrayBuffer> {
  return tlv(0xa0 | checkedTagNumber(tagNumber), ...encoded);
}

/** `[n] IMPLICIT` of a primitive type: a primitive context-specific tag around the raw contents. */
export function derContextPrimitive(tagNumber: number, contents: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(0x80 | checkedTagNumber(tagNumber), contents);
}

function checkedTagNumber(tagNumber: number): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) {
    throw new DerEncodeError(`context tag [${tagNumber}]: only 0-30 are encoded`);
  }
  return tagNumber;
}
