// Reading what a boot-time download sends (the config, the install manifest) within a byte cap: the
// body is streamed and the download stops as soon as it is larger than the cap, so a server that
// answers with gigabytes cannot fill PID 1's memory (M6 of the security review).

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  readonly code = "TooLarge";
  constructor(
    readonly what: string,
    readonly maxBytes: number,
  ) {
    super(`${what} is larger than ${formatBytes(maxBytes)}: refused`);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** The body of `response` as text, or BodyTooLargeError naming `what` once it exceeds `maxBytes`. */
export async function readTextCapped(response: Response, maxBytes: number, what: string): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(what, maxBytes);
  }
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(what, maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/**
 * A URL as it may be logged: without userinfo (`user:password@`) and with its query replaced by `?…`,
 * since either may carry a token (a config URL does, often). Logs are readable by os:reader.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can take apart: keep the scheme and host-looking part only.
    return url.replace(/\/\/[^/@]*@/, "//").replace(/\?.*$/, "?…");
  }
  const query = parsed.search !== "" ? "?…" : "";
  parsed.username = "";
  parsed.password = "";
  parsed.search = "";
  parsed.hash = "";
  return `${parsed.toString()}${query}`;
}
