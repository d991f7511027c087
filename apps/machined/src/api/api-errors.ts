import { Code, ConnectError } from "@connectrpc/connect";
import { SupervisorError } from "../supervisor/supervisor-error.ts";
import { showPath } from "./caller-input.ts";
import { SequencerError } from "./sequencer.ts";

/**
 * An errno error with its path shortened ("ENOENT: no such file or directory, open '/the/path'" becomes
 * "ENOENT: no such file or directory (open /the/path)"): the path may be the caller's, PATH_MAX long.
 */
function errnoText(error: NodeJS.ErrnoException): string {
  if (error.syscall === undefined) return error.message;
  const comma = error.message.indexOf(", ");
  const text = comma < 0 ? error.message : error.message.slice(0, comma);
  return `${text} (${error.syscall}${error.path === undefined ? "" : ` ${showPath(error.path)}`})`;
}

/** Translates machined's typed errors into Connect codes at the API boundary. */
export function toConnectError(error: unknown, doing: string): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof SupervisorError) {
    const code = error.code === "UnknownService" ? Code.NotFound : Code.FailedPrecondition;
    return new ConnectError(`${doing}: ${error.message}`, code, undefined, undefined, error);
  }
  if (error instanceof SequencerError) {
    const code = error.code === "Locked" ? Code.FailedPrecondition : Code.Unimplemented;
    return new ConnectError(`${doing}: ${error.message}`, code, undefined, undefined, error);
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno === "string") {
    const code =
      errno === "ENOENT"
        ? Code.NotFound
        : errno === "EACCES" || errno === "EPERM"
          ? Code.PermissionDenied
          : errno === "ENOTDIR" || errno === "EISDIR" || errno === "ENAMETOOLONG"
            ? Code.InvalidArgument
            : Code.Internal;
    return new ConnectError(
      `${doing}: ${errnoText(error as NodeJS.ErrnoException)}`,
      code,
      undefined,
      undefined,
      error,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectError(`${doing}: ${message}`, Code.Internal, undefined, undefined, error);
}

/** For methods this release does not implement yet: says so, never fakes data. */
export function unimplemented(method: string, why: string): ConnectError {
  return new ConnectError(`${method} is not implemented yet: ${why}`, Code.Unimplemented);
}
