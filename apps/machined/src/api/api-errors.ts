import { Code, ConnectError } from "@connectrpc/connect";
import { SupervisorError } from "../supervisor/supervisor-error.ts";
import { SequencerError } from "./sequencer.ts";

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
          : errno === "ENOTDIR" || errno === "EISDIR"
            ? Code.InvalidArgument
            : Code.Internal;
    return new ConnectError(`${doing}: ${(error as Error).message}`, code, undefined, undefined, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectError(`${doing}: ${message}`, Code.Internal, undefined, undefined, error);
}

/** For methods this release does not implement yet: says so, never fakes data. */
export function unimplemented(method: string, why: string): ConnectError {
  return new ConnectError(`${method} is not implemented yet: ${why}`, Code.Unimplemented);
}
