/** Validates a URL with one of `schemes` (without the colon) and a host. */
export function validateUrl(
  text: string,
  schemes: readonly string[],
  options: { port?: boolean } = {},
): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a valid URL (expected ${schemes.map((s) => `${s}://`).join(" or ")}host...)`;
  }
  const scheme = url.protocol.slice(0, -1);
  if (!schemes.includes(scheme)) {
    return `"${text}" must use the ${schemes.map((s) => `${s}://`).join(" or ")} scheme, not ${scheme}://`;
  }
  if (url.hostname === "") return `"${text}" has no host`;
  if (options.port && url.port === "") return `"${text}" must include a port (host:port)`;
  return undefined;
}
