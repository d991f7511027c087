const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** A DNS name (RFC 1123): dot-separated labels of letters, digits and inner hyphens, <= 253 characters. */
export function validateDnsName(text: string, options: { wildcard?: boolean } = {}): string | undefined {
  if (text === "") return "must not be empty";
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  if (name.length > 253) return `"${text}" is longer than 253 characters`;
  const labels = name.split(".");
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as string;
    if (i === 0 && label === "*" && options.wildcard && labels.length > 1) continue;
    if (!LABEL.test(label)) {
      return `"${text}" is not a valid DNS name (label "${label}": letters, digits and inner hyphens, 1-63 characters)`;
    }
  }
  return undefined;
}

/** A host name: a single label or a fully qualified name. */
export function validateHostname(text: string): string | undefined {
  return validateDnsName(text);
}
