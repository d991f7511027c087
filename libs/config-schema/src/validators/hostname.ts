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

/** __NEW_UTS_LEN: the most bytes the kernel keeps of a host name, and of a domain name. */
export const UTS_NAME_MAX = 64;

/**
 * The kernel's two names for a node name, as Talos splits `machine.network.hostname`
 * (HostnameSpecSpec.ParseFQDN): the first label is the host name (sethostname(2)), the rest, if
 * any, the domain name (setdomainname(2)).
 */
export function splitHostname(name: string): { hostname: string; domainname: string } {
  const dot = name.indexOf(".");
  return dot < 0
    ? { hostname: name, domainname: "" }
    : { hostname: name.slice(0, dot), domainname: name.slice(dot + 1) };
}

/**
 * A node's host name (`machine.network.hostname`): a single label or a fully qualified name that
 * the kernel can take once split as Talos does (splitHostname): the first label is at most 63
 * bytes (a DNS label), the domain after it at most 64 (UTS_NAME_MAX, or setdomainname fails).
 */
export function validateHostname(text: string): string | undefined {
  const error = validateDnsName(text);
  if (error !== undefined) return error;
  const { domainname } = splitHostname(text);
  if (domainname.length > UTS_NAME_MAX) {
    return `the domain after the first label is ${domainname.length} characters long; the kernel keeps at most ${UTS_NAME_MAX} (setdomainname)`;
  }
  return undefined;
}
