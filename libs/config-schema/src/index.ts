// @bronze/config-schema: Bronze's machine config (Talos v1alpha1 shape): schemas, positioned
// validation, cross-field rules, patches and JSON Schema export.

export { ConfigError, type ConfigErrorCode } from "./config-error.ts";
export { CONFIG_LIMITS, type ConfigLimits, checkConfigLimits } from "./config-limits.ts";
export { formatIssue } from "./format-issue.ts";
export { machineConfigJsonSchema } from "./json-schema.ts";
export { applyPatches } from "./patch.ts";
export { REDACTED, redactConfig } from "./redact-config.ts";
export { type MachineConfig, MachineConfigSchema } from "./schema/config.ts";
export { DOCUMENT_KINDS, type DocumentKind } from "./schema/documents.ts";
export { MACHINE_CONFIG_MERGE_RULES } from "./strategic-merge.ts";
export { stringifyConfig } from "./stringify.ts";
export type { ConfigDocument, ConfigIssue, Mode, Severity, ValidationResult } from "./types.ts";
export { MODES } from "./types.ts";
export { validateConfig } from "./validate.ts";
export { splitHostname } from "./validators/hostname.ts";
