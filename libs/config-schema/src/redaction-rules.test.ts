import { expect, test } from "bun:test";
import * as z from "zod";
import { REDACTION_RULES, SECRET_FLAG, SECRET_PATHS } from "./redaction-rules.ts";
import { MachineConfigSchema } from "./schema/config.ts";
import { DOCUMENT_KINDS } from "./schema/documents.ts";
import { unwrap } from "./schema-at.ts";

/** Every leaf of a schema as a rule path (`[]` for list items, `*` for map keys). */
function leaves(schema: z.ZodType, prefix = ""): string[] {
  const s = unwrap(schema);
  const join = (name: string) => (prefix === "" ? name : `${prefix}.${name}`);
  if (s instanceof z.ZodObject)
    return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([k, v]) => leaves(v, join(k)));
  if (s instanceof z.ZodArray) return leaves(s.element as z.ZodType, `${prefix}[]`);
  if (s instanceof z.ZodRecord) return leaves(s.valueType as z.ZodType, join("*"));
  return [prefix];
}

const SCHEMAS: Record<string, z.ZodType> = {
  v1alpha1: MachineConfigSchema,
  ...Object.fromEntries(DOCUMENT_KINDS.map((k) => [k.kind, k.schema])),
};

test("every field of every document kind is decided on: readable or secret, never both", () => {
  expect(Object.keys(REDACTION_RULES).sort()).toEqual(Object.keys(SCHEMAS).sort());
  expect(Object.keys(SECRET_PATHS).sort()).toEqual(Object.keys(SCHEMAS).sort());
  for (const [kind, schema] of Object.entries(SCHEMAS)) {
    const readable = Object.keys(REDACTION_RULES[kind] ?? {});
    const secret = SECRET_PATHS[kind] ?? [];
    expect(readable.filter((p) => secret.includes(p))).toEqual([]);
    // A new schema field shows up here until it is listed (and is redacted meanwhile).
    expect({ kind, fields: [...readable, ...secret].sort() }).toEqual({
      kind,
      fields: leaves(schema).sort(),
    });
  }
});

test("the known secrets stay secret", () => {
  const readable = REDACTION_RULES.v1alpha1 ?? {};
  for (const path of [
    "machine.token",
    "machine.ca.key",
    "machine.env.*",
    "machine.files[].content",
    "cluster.secret",
  ])
    expect(readable[path]).toBeUndefined();
  expect(REDACTION_RULES.ExtensionServiceConfig?.["configFiles[].content"]).toBeUndefined();
  expect(REDACTION_RULES.ExtensionServiceConfig?.["environment[]"]).toBe("name-only");
});

test("flag names that name a secret", () => {
  for (const flag of [
    "token",
    "bootstrap-token",
    "oidc-client-secret",
    "basic-auth-password",
    "encryption-key",
  ])
    expect(SECRET_FLAG.test(flag)).toBe(true);
  for (const flag of [
    "rotate-server-certificates",
    "audit-log-maxage",
    "listen-metrics-urls",
    "tls-private-key-file",
  ])
    expect(SECRET_FLAG.test(flag)).toBe(false);
});
