// What the config worker (config-worker.ts) computes for an apply: the validation of the text and the
// diff from the config in force. Both are plain functions of their input, and everything that crosses
// the worker boundary here is structured-clonable (strings, numbers, the MachineConfig object, issues).
import { type ConfigIssue, type MachineConfig, type Mode, validateConfig } from "@bronze/config-schema";
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

export type ConfigCheckRequest = ValidateRequest | DiffRequest;

/** Runs one request (in the worker; in-thread where a test wants the same answer without one). */
export function runConfigCheck(request: ValidateRequest): ConfigValidation;
export function runConfigCheck(request: DiffRequest): string;
export function runConfigCheck(request: ConfigCheckRequest): ConfigValidation | string;
export function runConfigCheck(request: ConfigCheckRequest): ConfigValidation | string {
  if (request.kind === "diff") {
    return unifiedDiff(request.base, request.text, { from: request.from, to: request.to });
  }
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
