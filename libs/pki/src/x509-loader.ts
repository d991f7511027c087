// @peculiar/x509, loaded on first use. Only inspection, verification and CSR parsing need it; generating keys,
// CAs, certificates and CSRs does not, so `import "@bronze/pki"` and `osctl gen config` never evaluate it
// (x509 + asn1js + tsyringe cost ~25 ms to load in a fresh process).
//
// Synchronous (require) because inspectCertificate is synchronous. Both `bun` and `bun build` keep the
// required module unevaluated until this runs. reflect-metadata is required first: when crypto-provider.ts is
// loaded through require, Bun resolves @peculiar/x509 to its CommonJS build, which needs Reflect.getMetadata
// before it is evaluated (the ES-module order crypto-provider.ts relies on does not apply here).
import type * as CryptoProvider from "./crypto-provider.ts";

export type X509 = typeof CryptoProvider.x509;

let loaded: X509 | undefined;

export function loadX509(): X509 {
  if (loaded === undefined) {
    require("reflect-metadata");
    loaded = (require("./crypto-provider.ts") as typeof CryptoProvider).x509;
  }
  return loaded;
}
