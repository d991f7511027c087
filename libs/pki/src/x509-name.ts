// X.501 Names (RFC 5280 §4.1.2.4) in DER: encoding the subjects we issue, reading attribute values back, and
// the one-line text form (`O=os:admin, CN=admin`, as @peculiar/x509 prints it) for messages.
import { contentOf, DerError, decodeOid, encodingOf, readChildren, readTlv, type Tlv } from "./der.ts";
import {
  derOid,
  derPrintableString,
  derSequence,
  derUtf8String,
  PRINTABLE_STRING,
  TAG,
  tlv,
} from "./der-writer.ts";
import { OID } from "./x509-oids.ts";

/** The attribute types we write, by the short names used in distinguished names. */
export const NAME_ATTRIBUTES = { CN: OID.commonName, O: OID.organization } as const;
export type NameAttribute = keyof typeof NAME_ATTRIBUTES;

/** A Name as relative distinguished names in order; each RDN maps attribute types to values. */
export type NameSpec = readonly Readonly<Partial<Record<NameAttribute, readonly string[]>>>[];

/** PrintableString when the value fits its alphabet (as Go and @peculiar/x509 do), UTF8String otherwise. */
function directoryString(value: string): Uint8Array {
  return PRINTABLE_STRING.test(value) ? derPrintableString(value) : derUtf8String(value);
}

/**
 * DER Name, byte for byte what @peculiar/x509 wrote before. An RDN with several values (`O` with two
 * organizations) keeps them in the order given, the order they are read back in. Strict DER sorts SET OF
 * members (X.690 §11.6, as Go does): strict parsers (Python `cryptography`) reject such multi-valued RDNs, openssl,
 * Go and x509 accept them. Only certificates with several organizations are concerned; sorting would be
 * `derSetOf` below, but it changes the order `inspectCertificate().organizations` reports.
 */
export function encodeName(name: NameSpec): Uint8Array<ArrayBuffer> {
  const rdns = name.map((rdn) => {
    const attributes: Uint8Array[] = [];
    for (const [type, values] of Object.entries(rdn) as [NameAttribute, readonly string[]][]) {
      for (const value of values)
        attributes.push(derSequence(derOid(NAME_ATTRIBUTES[type]), directoryString(value)));
    }
    return tlv(TAG.set, ...attributes);
  });
  return derSequence(...rdns);
}

export interface NameAttributeValue {
  oid: string;
  /** The decoded string, or undefined for a value that is not a string type. */
  text: string | undefined;
  /** The whole DER encoding of the value. */
  encoded: Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");

function decodeString(bytes: Uint8Array, tlv: Tlv): string | undefined {
  const content = contentOf(bytes, tlv);
  switch (tlv.tag) {
    case 0x0c: // UTF8String
      return utf8.decode(content);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString (read as Latin-1)
      return latin1.decode(content);
    case 0x1e: // BMPString (UTF-16BE)
      return String.fromCharCode(
        ...Array.from(
          { length: content.length >> 1 },
          (_, i) => ((content[2 * i] as number) << 8) | (content[2 * i + 1] as number),
        ),
      );
    case 0x1c: // UniversalString (UCS-4BE)
      return String.fromCodePoint(
        ...Array.from({ length: content.length >> 2 }, (_, i) =>
          new DataView(content.buffer, content.byteOffset + 4 * i, 4).getUint32(0),
        ),
      );
    default:
      return undefined;
  }
}

/** Every attribute of a DER Name, RDN by RDN. Throws DerError when it is not a Name. */
export function readName(bytes: Uint8Array): NameAttributeValue[][] {
  const top = readTlv(bytes, 0);
  if (top.tag !== TAG.sequence || top.end !== bytes.length) throw new DerError("Name is not a DER SEQUENCE");
  return readChildren(bytes, top).map((rdn) => {
    if (rdn.tag !== TAG.set) throw new DerError("Name: relative distinguished name is not a SET");
    return readChildren(bytes, rdn).map((attribute) => {
      const [type, value, ...rest] = attribute.tag === TAG.sequence ? readChildren(bytes, attribute) : [];
      if (type?.tag !== TAG.oid || value === undefined || rest.length > 0) {
        throw new DerError("Name: attribute is not a SEQUENCE { OID, value }");
      }
      return {
        oid: decodeOid(contentOf(bytes, type)),
        text: decodeString(bytes, value),
        encoded: encodingOf(bytes, value),
      };
    });
  });
}

/** The string values of one attribute type (e.g. every O=), in order. */
export function nameValues(bytes: Uint8Array, oid: string): string[] {
  return readName(bytes)
    .flat()
    .filter((attribute) => attribute.oid === oid && attribute.text !== undefined)
    .map((attribute) => attribute.text as string);
}

/** Short names of the text form (@peculiar/x509's table); other types print as their dotted OID. */
const SHORT_NAMES = new Map<string, string>([
  ["2.5.4.3", "CN"],
  ["2.5.4.7", "L"],
  ["2.5.4.8", "ST"],
  ["2.5.4.10", "O"],
  ["2.5.4.11", "OU"],
  ["2.5.4.6", "C"],
  ["0.9.2342.19200300.100.1.25", "DC"],
  ["1.2.840.113549.1.9.1", "E"],
  ["2.5.4.42", "G"],
  ["2.5.4.43", "I"],
  ["2.5.4.4", "SN"],
  ["2.5.4.12", "T"],
]);

/** RFC 4514-style escaping, exactly as @peculiar/x509 does it (so messages read the same as before). */
function escapeValue(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/([\r\n\t])/, (char) => `\\${Buffer.from(char).toString("hex").toUpperCase()}`);
}

/** `O=os:admin+O=extra, CN=admin`: RDNs in order joined by ", ", multi-valued RDNs by "+". */
export function formatName(bytes: Uint8Array): string {
  return readName(bytes)
    .map((rdn) =>
      rdn
        .map(({ oid, text, encoded }) => {
          const value = text === undefined ? `#${Buffer.from(encoded).toString("hex")}` : escapeValue(text);
          return `${SHORT_NAMES.get(oid) ?? oid}=${value}`;
        })
        .join("+"),
    )
    .join(", ");
}
