import { type FSWatcher, statSync, watch } from "node:fs";
import { join } from "node:path";
import { type ApidPki, PKI_FILES, readPkiDir, samePki } from "./pki-files.ts";

export interface PkiWatcherOptions {
  readonly dir: string;
  /** What is served now; a change is reported only when the files differ from it. */
  readonly current: ApidPki;
  readonly onChange: (pki: ApidPki) => void;
  /** A reload that failed (e.g. a half-written file): the previous certificates stay in use. */
  readonly onError: (error: unknown) => void;
  /** Fallback stat poll, for changes fs.watch misses (default 5 s). */
  readonly pollMs?: number;
  /** Changes come in bursts (five files): reload once they settle (default 100 ms). */
  readonly debounceMs?: number;
}

export interface PkiWatcher {
  close(): void;
}

function stamp(dir: string): string {
  return Object.values(PKI_FILES)
    .map((name) => {
      try {
        const st = statSync(join(dir, name));
        return `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return "-";
      }
    })
    .join("|");
}

/** Watches apid's pki dir (fs.watch plus a periodic stat) and reports new certificates. */
export function watchPkiDir(options: PkiWatcherOptions): PkiWatcher {
  const { dir } = options;
  let current = options.current;
  let lastStamp = stamp(dir);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const reload = () => {
    timer = undefined;
    if (closed) return;
    lastStamp = stamp(dir);
    let next: ApidPki;
    try {
      next = readPkiDir(dir);
    } catch (error) {
      options.onError(error);
      return;
    }
    if (samePki(next, current)) return;
    current = next;
    options.onChange(next);
  };
  const schedule = () => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(reload, options.debounceMs ?? 100);
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, schedule);
    watcher.on("error", () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined; // the poll still works
  }
  const poll = setInterval(() => {
    if (stamp(dir) !== lastStamp) schedule();
  }, options.pollMs ?? 5000);
  poll.unref?.();

  return {
    close() {
      closed = true;
      watcher?.close();
      clearInterval(poll);
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
