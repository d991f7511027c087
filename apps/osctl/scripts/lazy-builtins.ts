// A bundler plugin that makes commander load Node built-ins on first use instead of at startup.
// commander imports node:child_process, node:fs, node:path and node:util at its top, for features
// osctl never uses (executable subcommands, script-name inference) or replaces (stripColor):
// loading util and child_process alone costs ~2.5 ms of osctl's ~10 ms `--help`. Each import is
// replaced by a module that fetches the built-in (process.getBuiltinModule) when a member is first
// used. A named import commander adds later that is not listed here fails the build, loudly.
import type { BunPlugin } from "bun";

/** The modules deferred, with the named imports commander takes from each (besides the default). */
const DEFERRED: Record<string, readonly string[]> = {
  "node:child_process": [],
  "node:fs": [],
  "node:path": [],
  "node:util": ["stripVTControlCharacters"],
};

export function deferredBuiltinModule(specifier: string): string {
  const named = DEFERRED[specifier];
  if (!named) throw new Error(`${specifier} is not a deferred built-in`);
  const load = `let loaded;\nconst load = () => (loaded ??= process.getBuiltinModule(${JSON.stringify(specifier)}));\n`;
  const proxy = "export default new Proxy({}, { get: (_, key) => load()[key] });\n";
  const functions = named.map((name) => `export const ${name} = (...args) => load().${name}(...args);\n`);
  return load + proxy + functions.join("");
}

const DEFERRED_NAMES = Object.keys(DEFERRED).map((specifier) => specifier.slice("node:".length));
const IMPORT = new RegExp(`from\\s+(["'])(node:(?:${DEFERRED_NAMES.join("|")}))\\1`, "g");
const PREFIX = "deferred-builtin:";

/** commander's source with its imports of the deferred built-ins pointed at the deferring modules. */
export function deferImports(source: string): string {
  return source.replace(
    IMPORT,
    (_, quote: string, specifier: string) => `from ${quote}${PREFIX}${specifier}${quote}`,
  );
}

// Bun resolves node: built-ins before any plugin sees them, so the plugin rewrites the importing
// files (commander's lib/command.js and lib/help.js) and resolves its own prefix.
export const lazyBuiltinsForCommander: BunPlugin = {
  name: "lazy-builtins-for-commander",
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/](command|help)\.js$/ }, async (args) => {
      const source = await Bun.file(args.path).text();
      const deferred = deferImports(source);
      if (deferred === source)
        throw new Error(`${args.path} imports none of the deferred built-ins any more`);
      return { contents: deferred, loader: "js" };
    });
    build.onResolve({ filter: /^deferred-builtin:/ }, (args) => ({
      path: args.path.slice(PREFIX.length),
      namespace: "deferred-builtin",
    }));
    build.onLoad({ filter: /.*/, namespace: "deferred-builtin" }, (args) => ({
      contents: deferredBuiltinModule(args.path),
      loader: "js",
    }));
  },
};
