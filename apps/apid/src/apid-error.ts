export type ApidErrorCode = "Usage" | "PkiDir" | "Listen";

/** apid's startup and configuration errors (RPC errors are ConnectErrors). */
export class ApidError extends Error {
  override readonly name = "ApidError";
  constructor(
    readonly code: ApidErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
