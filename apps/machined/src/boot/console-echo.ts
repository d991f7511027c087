import type { Runner } from "../supervisor/service.ts";

/**
 * A runner whose output lines matching `pattern` also go to machined's console, besides the
 * service's log: a node without a config shows apid's maintenance certificate fingerprint on its
 * console (docs/design.md §2), the one place a user can read it before any API call is trusted.
 */
export function echoToConsole(runner: Runner, pattern: RegExp, console: (line: string) => void): Runner {
  return {
    kind: runner.kind,
    start: (ctx) =>
      runner.start({
        ...ctx,
        log: {
          line(stream, text) {
            ctx.log.line(stream, text);
            if (stream !== "system" && pattern.test(text)) console(text);
          },
        },
      }),
  };
}
