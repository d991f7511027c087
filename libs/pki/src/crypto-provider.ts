// The one place that loads @peculiar/x509. It needs reflect-metadata evaluated first (DESIGN §8), and its
// default crypto provider must be the runtime's WebCrypto. Both are required in order, at evaluation: with
// ES-module imports, Bun evaluates CommonJS dependencies (x509 and reflect-metadata are both CommonJS) while it
// fetches the module graph, in an order that is not guaranteed, and tsyringe (inside x509) then threw "requires a
// reflect polyfill" now and then. Only x509-loader.ts (and tests) import this module, so nothing loads x509
// before it is needed.
import type * as X509 from "@peculiar/x509";

require("reflect-metadata");
const x509 = require("@peculiar/x509") as typeof X509;
x509.cryptoProvider.set(crypto);

export { x509 };
