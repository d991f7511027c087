import { Code, ConnectError } from "@connectrpc/connect";
import { SERVICE_ID_PATTERN } from "../supervisor/supervisor.ts";

/** Most characters of the caller's input an error message quotes. */
export const QUOTED_INPUT_CHARS = 64;
/** Longest service id the API accepts (the supervisor's ids are short words: "apid", "containerd"). */
export const MAX_SERVICE_ID_CHARS = 128;
/** containerd's own rule for namespaces (identifiers.Validate): letters and digits joined by single [._-]. */
const NAMESPACE_PATTERN = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;
export const MAX_NAMESPACE_CHARS = 76;
/** Linux's PATH_MAX, in bytes: no path the kernel would take is longer. */
export const MAX_PATH_BYTES = 4096;

/**
 * The caller's input as an error message may show it: JSON-quoted (control characters escaped), at
 * most QUOTED_INPUT_CHARS of it, and its length when it was cut. Never the whole of a long input: the
 * message travels in an HTTP/2 trailer that the apid↔machined session shares with every other call.
 */
export function quoteInput(value: string, max = QUOTED_INPUT_CHARS): string {
  if (value.length <= max) return JSON.stringify(value);
  let cut = value.slice(0, max);
  // never split a surrogate pair
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${JSON.stringify(cut)}… (${value.length} characters)`;
}

function invalid(method: string, what: string, value: string, rule: string): ConnectError {
  return new ConnectError(`${method}: invalid ${what} ${quoteInput(value)}: ${rule}`, Code.InvalidArgument);
}

/** A service id as the supervisor names services, checked before anything is looked up. */
export function requireServiceId(id: string, method: string): string {
  if (id === "") throw new ConnectError(`${method}: the service id is required`, Code.InvalidArgument);
  if (id.length > MAX_SERVICE_ID_CHARS || !SERVICE_ID_PATTERN.test(id)) {
    throw invalid(
      method,
      "service id",
      id,
      `at most ${MAX_SERVICE_ID_CHARS} lowercase letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return id;
}

/** A containerd namespace, checked with containerd's rule before containerd is asked. */
export function requireNamespace(namespace: string, method: string): string {
  if (namespace.length > MAX_NAMESPACE_CHARS || !NAMESPACE_PATTERN.test(namespace)) {
    throw invalid(
      method,
      "namespace",
      namespace,
      `at most ${MAX_NAMESPACE_CHARS} letters and digits separated by single '.', '_' or '-'`,
    );
  }
  return namespace;
}

/** A path of List, Read or Copy: one the kernel could take (no NUL byte, at most PATH_MAX bytes). */
export function requirePath(path: string, method: string): string {
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
    throw invalid(method, "path", path, `longer than ${MAX_PATH_BYTES} bytes (PATH_MAX)`);
  }
  if (path.includes("\0")) throw invalid(method, "path", path, "it contains a NUL byte");
  return path;
}

/** Most characters of a path an error message shows (its head and its tail, when longer). */
export const SHOWN_PATH_CHARS = 160;

/**
 * A path as an error message shows it: whole when short, otherwise its start and its end (the file's
 * name) around "…", with its length. A path can be PATH_MAX long and is echoed more than once.
 */
export function showPath(path: string): string {
  if (path.length <= SHOWN_PATH_CHARS) return path;
  const half = SHOWN_PATH_CHARS / 2;
  return `${path.slice(0, half)}…${path.slice(-half)} (${path.length} characters)`;
}
