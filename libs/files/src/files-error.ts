/**
 * What went wrong writing a file or an archive. `code` says which kind of failure; `message` names the file,
 * the step and the system error ("no space left on device (ENOSPC)"); `errno` is that error's name.
 */
export type FilesErrorCode =
  | "NoSpace" // ENOSPC, EDQUOT: the filesystem (or the quota) is full
  | "PermissionDenied" // EACCES, EPERM
  | "ReadOnly" // EROFS
  | "WriteFailed" // any other system error while writing
  | "BadTarEntry"; // a tar entry that cannot be archived (no path, a symlink without a target)

export class FilesError extends Error {
  override readonly name = "FilesError";
  readonly code: FilesErrorCode;
  /** The file concerned, when there is one. */
  readonly path: string | undefined;
  /** The system error's name ("ENOSPC"), when a system call failed. */
  readonly errno: string | undefined;

  constructor(
    code: FilesErrorCode,
    message: string,
    options: { path?: string; errno?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.errno = options.errno;
  }
}

const CODE_OF_ERRNO: Readonly<Record<string, FilesErrorCode>> = {
  ENOSPC: "NoSpace",
  EDQUOT: "NoSpace",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  EROFS: "ReadOnly",
};

/**
 * A FilesError for a failed system call on `path` during `step` ("writing the temporary file"): the message
 * is "cannot write <path>: <what the system said> (<ERRNO>) while <step>".
 */
export function systemError(path: string, step: string, cause: unknown): FilesError {
  const err = cause as { code?: unknown; message?: unknown };
  const errno = typeof err?.code === "string" && /^E[A-Z0-9]+$/.test(err.code) ? err.code : undefined;
  const text = typeof err?.message === "string" ? err.message : String(cause);
  // Node's and Bun's messages read "ENOSPC: no space left on device, write"; keep the description only.
  const description = errno === undefined ? text : (new RegExp(`^${errno}: ([^,]+)`).exec(text)?.[1] ?? "");
  const why = errno === undefined ? description : description === "" ? errno : `${description} (${errno})`;
  return new FilesError(
    (errno !== undefined ? CODE_OF_ERRNO[errno] : undefined) ?? "WriteFailed",
    `cannot write ${path}: ${why} while ${step}`,
    { path, errno, cause },
  );
}
