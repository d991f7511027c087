export type SupervisorErrorCode =
  | "DuplicateService"
  | "UnknownDependency"
  | "DependencyCycle"
  | "InvalidService"
  | "UnknownService"
  | "Aborted";

/** Errors of the supervisor's API (registration and service control); runner failures never throw. */
export class SupervisorError extends Error {
  override readonly name = "SupervisorError";
  constructor(
    readonly code: SupervisorErrorCode,
    message: string,
    /** The service the error is about. */
    readonly service?: string,
  ) {
    super(message);
  }
}
