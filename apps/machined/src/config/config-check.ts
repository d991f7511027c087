// What the config worker (config-worker.ts) computes for machined: the validation of a config and its
// diff from the config in force (an apply), and the redacted config in force (GetConfiguration for all
// but admins). All are plain functions of their input, and everything that crosses the worker boundary
// here is structured-clonable (strings, numbers, the MachineConfig object, issues).
import {
  type ConfigIssue,
  type MachineConfig,
  type Mode,
  redactConfig,
  validateConfig,
} from "@bronze/config-schema";
import { unifiedDiff } from "./unified-diff.ts";

/** A validation, as the applier needs it (validateConfig's result without the parsed documents). */
export interface ConfigValidation {
  readonly ok: boolean;
  readonly config?: MachineConfig;
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
  readonly errorCount: number;
}

export interface ValidateRequest {
  readonly kind: "validate";
  readonly text: string;
  readonly mode: Mode;
}

export interface DiffRequest {
  readonly kind: "diff";
  readonly base: string;
  readonly text: string;
  readonly from: string;
  readonly to: string;
}

export interface RedactRequest {
  readonly kind: "redact";
  readonly text: string;
}

export type ConfigCheckRequest = ValidateRequest | DiffRequest | RedactRequest;

/** Runs one request (in the worker; in-thread where a test wants the same answer without one). */
export function runConfigCheck(request: ValidateRequest): ConfigValidation;
export function runConfigCheck(request: DiffRequest | RedactRequest): string;
export function runConfigCheck(request: ConfigCheckRequest): ConfigValidation | string;
export function runConfigCheck(request: ConfigCheckRequest): ConfigValidation | string {
  if (request.kind === "diff") {
    return unifiedDiff(request.base, request.text, { from: request.from, to: request.to });
  }
  if (request.kind === "redact") return redactConfig(request.text);
  const result = validateConfig(request.text, { mode: request.mode });
  const { ok, errors, warnings, errorCount } = result;
  return result.config === undefined
    ? { ok, errors, warnings, errorCount }
    : { ok, config: result.config, errors, warnings, errorCount };
}

/** What the worker posts back for the request numbered `id`. */
export type ConfigWorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: ConfigValidation | string }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** What the worker is posted. */
export interface ConfigWorkerMessage {
  readonly id: number;
  readonly request: ConfigCheckRequest;
}
