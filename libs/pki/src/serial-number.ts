/**
 * A random positive serial number of 16 bytes (at least 120 random bits), as lowercase hex.
 * The top bit is cleared so the DER INTEGER is positive, and the first byte is non-zero so it is
 * minimally encoded (RFC 5280 §4.1.2.2: positive, at most 20 octets).
 */
export function randomSerialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] as number) & 0x7f || 0x01;
  return Buffer.from(bytes).toString("hex");
}
