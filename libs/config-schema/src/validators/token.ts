/** Kubernetes bootstrap token: `[a-z0-9]{6}.[a-z0-9]{16}`. */
export const BOOTSTRAP_TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

export function validateBootstrapToken(text: string): string | undefined {
  return BOOTSTRAP_TOKEN.test(text)
    ? undefined
    : "is not a Kubernetes bootstrap token (expected 6 and 16 lowercase letters or digits joined by a dot, e.g. abcdef.0123456789abcdef)";
}

/** The machine token (trustd): printable ASCII without spaces, 6 to 256 characters. */
export function validateMachineToken(text: string): string | undefined {
  if (text.length < 6 || text.length > 256) return `must be 6 to 256 characters long (got ${text.length})`;
  if (!/^[\x21-\x7e]+$/.test(text)) return "must contain only printable ASCII characters without spaces";
  return undefined;
}
