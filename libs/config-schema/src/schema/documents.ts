import * as z from "zod";
import { parseDuration } from "../validators/duration.ts";
import { absolutePath, devicePath, duration, url } from "./fields.ts";

/**
 * Typed documents that may follow the v1alpha1 machine config in the same YAML stream
 * (`apiVersion: v1alpha1` + `kind`), with Talos' names and shapes.
 */
export interface DocumentKind {
  kind: string;
  /** Named kinds may appear several times with distinct `name`s; others at most once. */
  named: boolean;
  schema: z.ZodObject;
  description: string;
  /** Rules beyond the schema, run on a value that passed it. */
  rules?: (value: Record<string, unknown>) => DocumentRuleIssue[];
}

export interface DocumentRuleIssue {
  path: (string | number)[];
  code: string;
  message: string;
}

const header = <K extends string>(kind: K) => ({
  apiVersion: z.literal("v1alpha1").describe("Document API version: v1alpha1."),
  kind: z.literal(kind),
});

const documentName = (description: string) =>
  z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
      error: "names are lowercase letters, digits and inner hyphens (1-63 characters)",
    })
    .describe(description);

export const KmsgLogConfigSchema = z
  .strictObject({
    ...header("KmsgLogConfig"),
    name: documentName("Name of this kernel log destination."),
    url: url(["tcp", "udp"], "Where to send kernel logs as JSON lines: tcp://host:port or udp://host:port.", {
      port: true,
    }),
  })
  .describe("Streams the kernel log (kmsg) to a remote receiver.");

export const ExtensionServiceConfigSchema = z
  .strictObject({
    ...header("ExtensionServiceConfig"),
    name: documentName("Name of the extension service this configures."),
    configFiles: z
      .array(
        z.strictObject({
          content: z.string().describe("File content."),
          mountPath: absolutePath("Where the file is mounted in the service's container."),
        }),
      )
      .optional(),
    environment: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*=[\s\S]*$/, {
            error: "environment entries have the form NAME=value",
          })
          .describe("NAME=value."),
      )
      .optional(),
  })
  .describe("Configuration of an extension service: files and environment.");

export const WatchdogTimerConfigSchema = z
  .strictObject({
    ...header("WatchdogTimerConfig"),
    device: devicePath("Watchdog device, e.g. /dev/watchdog0."),
    timeout: duration("Watchdog timeout, e.g. 2m0s (at least 10s).").optional(),
  })
  .describe("Hardware watchdog timer.");

export const DOCUMENT_KINDS: readonly DocumentKind[] = [
  { kind: "KmsgLogConfig", named: true, schema: KmsgLogConfigSchema, description: "Kernel log shipping." },
  {
    kind: "ExtensionServiceConfig",
    named: true,
    schema: ExtensionServiceConfigSchema,
    description: "Extension service configuration.",
  },
  {
    kind: "WatchdogTimerConfig",
    named: false,
    schema: WatchdogTimerConfigSchema,
    description: "Watchdog timer.",
    rules: (value) => {
      const timeout = typeof value.timeout === "string" ? parseDuration(value.timeout) : undefined;
      return timeout !== undefined && timeout < 10_000
        ? [
            {
              path: ["timeout"],
              code: "out_of_range",
              message: `must be at least 10s (got ${value.timeout})`,
            },
          ]
        : [];
    },
  },
];

export function documentKind(kind: string): DocumentKind | undefined {
  return DOCUMENT_KINDS.find((k) => k.kind === kind);
}
