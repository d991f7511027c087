import type { MachineConfig } from "./schema/config.ts";

export type Mode = "metal" | "qemu" | "container";
export const MODES: readonly Mode[] = ["metal", "qemu", "container"];

export type Severity = "error" | "warning";

export interface ConfigIssue {
  /** Field path inside its document, e.g. `machine.network.interfaces[0].addresses[1]` ("" for the whole document). */
  path: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  message: string;
  severity: Severity;
  /** Stable machine-readable code, e.g. `unknown_field`, `invalid_cidr`. */
  code: string;
  /** 0-based index of the YAML document in the stream. */
  document: number;
}

/** One document of a config stream; kind is "v1alpha1" for the machine config. */
export interface ConfigDocument {
  index: number;
  kind: string;
  name?: string;
  value: unknown;
}

export interface ValidationResult {
  ok: boolean;
  /** The machine config, present when ok. */
  config?: MachineConfig;
  documents: ConfigDocument[];
  /** At most CONFIG_LIMITS.maxIssues of them (then one "… and N more" issue): see errorCount. */
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
  /** How many errors the config has, the ones left out of `errors` included. */
  errorCount: number;
}
