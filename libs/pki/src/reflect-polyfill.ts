// Loads reflect-metadata, which @peculiar/x509 (through tsyringe) needs before it is evaluated.
// It is its own ES module on purpose: `bun build` runs a module's ES-module imports before its
// CommonJS ones, so a bare `import "reflect-metadata"` beside `import "@peculiar/x509"` ran too
// late in the compiled osctl. Imported first from crypto-provider.ts.
import "reflect-metadata";
