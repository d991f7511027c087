const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard (padded) base64, or returns undefined when `text` is not valid base64. */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  return Buffer.from(text, "base64");
}

/** Validates standard base64 that decodes to at least `minBytes` (or exactly `bytes`) bytes. */
export function validateBase64(
  text: string,
  size: { minBytes?: number; bytes?: number } = {},
): string | undefined {
  if (text === "") return "must not be empty";
  const decoded = decodeBase64(text);
  if (!decoded) return "is not valid base64 (standard alphabet, padded)";
  if (size.bytes !== undefined && decoded.length !== size.bytes) {
    return `must decode to exactly ${size.bytes} bytes (got ${decoded.length})`;
  }
  if (size.minBytes !== undefined && decoded.length < size.minBytes) {
    return `must decode to at least ${size.minBytes} bytes (got ${decoded.length})`;
  }
  return undefined;
}
