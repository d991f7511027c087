// @peculiar/x509, loaded on first use. Only inspection, verification and CSR parsing need it; generating keys,
// CAs, certificates and CSRs does not, so `import "@bronze/pki"` and `osctl gen config` never evaluate it
// (x509 + asn1js + tsyringe cost ~25 ms to load in a fresh compiled process).
//
// Synchronous (require) because inspectCertificate is synchronous. Both `bun` and `bun build` leave the
// required module unevaluated until this runs (see x509-loader.component.test.ts).
import type * as CryptoProvider from "./crypto-provider.ts";

export type X509Module = typeof CryptoProvider.x509;

let loaded: X509Module | undefined;

export function loadX509(): X509Module {
  loaded ??= (require("./crypto-provider.ts") as typeof CryptoProvider).x509;
  return loaded;
}
