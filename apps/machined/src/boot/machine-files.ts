import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { writeFileAtomic } from "@bronze/files";

/** One entry of machine.files. */
export interface MachineFile {
  readonly path: string;
  readonly content: string;
  readonly permissions: number;
  readonly op: "create" | "append" | "overwrite";
}

/**
 * Where machine.files may write: a path under `prefix` (as written in the config) lands under `dir` on
 * this node. Talos allows only /var; Bronze also takes containerd CRI fragments (`/etc/cri/conf.d/`),
 * kept on the writable /system since /etc is the read-only squashfs.
 */
export interface FileTarget {
  readonly prefix: string;
  readonly dir: string;
}

/** The default targets: `/var/` and `/etc/cri/conf.d/`, under the node's /var and /system. */
export function defaultFileTargets(paths: { readonly var: string; readonly system: string }): FileTarget[] {
  return [
    { prefix: "/var/", dir: paths.var },
    { prefix: "/etc/cri/conf.d/", dir: join(paths.system, "etc/cri/conf.d") },
  ];
}

export type MachineFilesErrorCode = "PathNotAllowed" | "AlreadyExists" | "WriteFailed";

/** A machine.files entry that cannot be written; `index` and `path` say which. */
export class MachineFilesError extends Error {
  override readonly name = "MachineFilesError";
  constructor(
    readonly code: MachineFilesErrorCode,
    readonly index: number,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`machine.files[${index}].path ${JSON.stringify(path)}: ${message}`, options);
  }
}

export interface WrittenFile {
  readonly index: number;
  readonly path: string;
  /** Where it was written on this node. */
  readonly hostPath: string;
  readonly result: "created" | "appended" | "overwritten" | "unchanged";
}

/** Maps a config path to its place on the node, or says why it is not allowed. */
export function resolveFilePath(
  path: string,
  targets: readonly FileTarget[],
): { hostPath: string } | { problem: string } {
  if (!path.startsWith("/")) return { problem: "must be an absolute path" };
  if (path.includes("\0")) return { problem: "must not contain NUL bytes" };
  if (posix.normalize(path) !== path || path.split("/").some((s) => s === "." || s === "..")) {
    return { problem: "must be a normalised path (no '.', '..', '//' or trailing '/')" };
  }
  for (const t of targets) {
    if (path.startsWith(t.prefix) && path.length > t.prefix.length) {
      return { hostPath: join(t.dir, path.slice(t.prefix.length)) };
    }
  }
  return {
    problem: `is outside the directories machine.files may write (${targets.map((t) => `${t.prefix}...`).join(", ")})`,
  };
}

/** Refuses to write through a symbolic link anywhere between `base` and the file. */
function checkNoSymlinks(base: string, hostPath: string): string | undefined {
  const rel = hostPath.slice(base.length).split("/").filter(Boolean);
  let at = base;
  for (const part of rel) {
    at = join(at, part);
    try {
      if (lstatSync(at).isSymbolicLink()) return `${at} is a symbolic link`;
    } catch {
      return undefined; // does not exist yet: nothing below can be a link either
    }
  }
  return undefined;
}

/**
 * Writes machine.files. Every path is checked before anything is written (all offending entries are
 * reported together); then each file in order: `create` and `overwrite` atomically (@bronze/files'
 * writeFileAtomic: a temporary file that is never a planted link, the exact mode whatever the umask,
 * fsync, rename, fsync of the directory), `append` appends (creating the file). `create` on a file that already exists with the
 * same content and mode is left alone (a reboot with a persistent /var), with other content it fails.
 */
export function writeMachineFiles(
  files: readonly MachineFile[],
  targets: readonly FileTarget[],
  log: (line: string) => void = () => {},
): WrittenFile[] {
  const resolved: string[] = [];
  const errors: MachineFilesError[] = [];
  files.forEach((f, index) => {
    const r = resolveFilePath(f.path, targets);
    if ("problem" in r) {
      errors.push(new MachineFilesError("PathNotAllowed", index, f.path, r.problem));
      return;
    }
    const target = targets.find((t) => f.path.startsWith(t.prefix));
    const link = target === undefined ? undefined : checkNoSymlinks(target.dir, r.hostPath);
    if (link !== undefined) {
      errors.push(
        new MachineFilesError("PathNotAllowed", index, f.path, `refusing to write through ${link}`),
      );
      return;
    }
    resolved.push(r.hostPath);
  });
  if (errors.length > 0) {
    if (errors.length === 1) throw errors[0];
    throw new AggregateMachineFilesError(errors);
  }

  const written: WrittenFile[] = [];
  files.forEach((f, index) => {
    const hostPath = resolved[index] as string;
    const mode = f.permissions & 0o7777;
    let result: WrittenFile["result"];
    try {
      mkdirSync(dirname(hostPath), { recursive: true, mode: 0o755 });
      if (f.op === "append") {
        appendFileSync(hostPath, f.content, { mode });
        result = "appended";
      } else if (f.op === "create" && existsSync(hostPath)) {
        const same =
          readFileSync(hostPath, "utf8") === f.content && (statSync(hostPath).mode & 0o7777) === mode;
        if (!same) {
          throw new MachineFilesError(
            "AlreadyExists",
            index,
            f.path,
            "already exists with other content or permissions (op: create never replaces a file; use op: overwrite)",
          );
        }
        result = "unchanged";
      } else {
        writeFileAtomic(hostPath, f.content, { mode });
        result = f.op === "create" ? "created" : "overwritten";
      }
    } catch (err) {
      if (err instanceof MachineFilesError) throw err;
      throw new MachineFilesError("WriteFailed", index, f.path, (err as Error).message, { cause: err });
    }
    log(`machine.files[${index}] ${f.path}: ${result} (mode 0o${mode.toString(8)})`);
    written.push({ index, path: f.path, hostPath, result });
  });
  return written;
}

/** Several machine.files entries refused at once. */
export class AggregateMachineFilesError extends MachineFilesError {
  constructor(readonly errors: readonly MachineFilesError[]) {
    const first = errors[0] as MachineFilesError;
    super(first.code, first.index, first.path, first.message);
    this.message = errors.map((e) => e.message).join("; ");
  }
}
