const MASK = "******";

// scheme://userinfo@ (userinfo: up to the last @ before the path, query, fragment or a blank)
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;
// scheme://authority/path?query#fragment: the query and the fragment
const QUERY_OR_FRAGMENT = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#]*)(?:\?[^\s#]*)?(?:#\S*)?/gi;

/**
 * `text` with the credentials of every URL in it masked: userinfo (`user:password@`), the query
 * string and the fragment (tokens and signatures travel there) become `******`. The scheme, host,
 * port and path stay readable.
 */
export function maskUrls(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(USERINFO, `$1${MASK}@`).replace(QUERY_OR_FRAGMENT, (url: string, base: string) => {
    let out = base;
    const rest = url.slice(base.length);
    if (rest.startsWith("?")) out += `?${MASK}`;
    if (rest.includes("#")) out += `#${MASK}`;
    return out;
  });
}
