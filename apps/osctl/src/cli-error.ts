// The one error type osctl's commands throw. `exitCode` follows the convention the CLI documents:
// 1 for a failed operation or invalid input, 2 for a usage error (bad flag, missing argument).
export type CliErrorCode = "usage" | "invalid-input" | "exists" | "not-found" | "failed";

export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CliError";
    this.code = code;
    this.exitCode = code === "usage" ? 2 : 1;
  }
}

export function usageError(message: string): CliError {
  return new CliError("usage", message);
}

/**
 * `instanceof` does not work across the compiled osctl's embedded entry points (each command is
 * bundled with its own copy of this class), so errors are recognised by name and shape.
 */
export function isCliError(error: unknown): error is CliError {
  return (
    error instanceof Error && error.name === "CliError" && typeof (error as CliError).exitCode === "number"
  );
}
