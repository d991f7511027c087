export type TrustdErrorCode = "Usage" | "PkiDir" | "TokenFile" | "Listen";

/** trustd's startup and configuration errors (RPC errors are ConnectErrors). */
export class TrustdError extends Error {
  override readonly name = "TrustdError";
  constructor(
    readonly code: TrustdErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
