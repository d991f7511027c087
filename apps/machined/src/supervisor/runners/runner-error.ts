export type RunnerErrorCode = "SpawnFailed" | "CgroupFailed" | "InvalidOptions";

/** A runner could not start its service (the service runner turns it into a failed run). */
export class RunnerError extends Error {
  override readonly name = "RunnerError";
  constructor(
    readonly code: RunnerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
