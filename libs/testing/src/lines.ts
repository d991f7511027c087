// A child process's output as lines, and a wait for the line that says an asynchronous effect
// happened (a console line, a log line): tests wait for it with a deadline, never assume it is there.
import { WaitError } from "./wait-for.ts";

export interface LineReader {
  /** Every complete line read so far. */
  readonly all: string[];
  /** Settles when the stream ends. */
  readonly done: Promise<void>;
  /** True once the stream ended. */
  readonly ended: () => boolean;
  /**
   * The first line (already read or still to come) that matches; WaitError after `timeoutMs`, or as
   * soon as the stream ends without one, with the lines read so far.
   */
  waitFor(match: RegExp | string, timeoutMs: number): Promise<string>;
}

const matches = (match: RegExp | string, line: string) =>
  typeof match === "string" ? line.includes(match) : match.test(line);

/** Reads `stream` line by line (UTF-8, "\n"-separated) for as long as it is open. */
export function readLines(stream: ReadableStream<Uint8Array>): LineReader {
  const all: string[] = [];
  const wakers = new Set<() => void>();
  let finished = false;
  const wake = () => {
    for (const w of [...wakers]) w();
  };
  const done = (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    try {
      for await (const chunk of stream) {
        const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
        rest = parts.pop() ?? "";
        if (parts.length > 0) {
          all.push(...parts);
          wake();
        }
      }
      if (rest !== "") all.push(rest);
    } finally {
      finished = true;
      wake();
    }
  })();
  return {
    all,
    done,
    ended: () => finished,
    waitFor(match, timeoutMs) {
      const what = `a line matching ${match}`;
      return new Promise<string>((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < all.length; seen++) {
            const line = all[seen] as string;
            if (matches(match, line)) return finish(() => resolve(line));
          }
          if (finished) finish(() => reject(failure("the output ended without one")));
        };
        const failure = (why: string) =>
          new WaitError(`${what}: ${why}; the last lines:\n${all.slice(-30).join("\n")}`);
        const timer = setTimeout(
          () => finish(() => reject(failure(`not within ${timeoutMs} ms`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          wakers.delete(check);
          settle();
        };
        wakers.add(check);
        check();
      });
    },
  };
}
