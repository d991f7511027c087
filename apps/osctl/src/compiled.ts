// Whether this osctl runs as the compiled binary or from source: load-command.ts picks the
// embedded .js entry points or the .ts files by it, and `cluster create` how to start itself again.

/** True inside a `bun build --compile` binary, whose modules live under /$bunfs/. */
export const isCompiled = import.meta.url.includes("/$bunfs/");
