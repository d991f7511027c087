// The one place that loads @peculiar/x509: it needs reflect-metadata first (DESIGN §8), and its
// default crypto provider must be the runtime's WebCrypto. Every other module imports x509 from here.
import "./reflect-polyfill.ts";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

export { x509 };
