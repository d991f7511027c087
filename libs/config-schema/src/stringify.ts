import { Document, isScalar } from "yaml";
import { documentIdentity, MACHINE_CONFIG_KIND } from "./classify-documents.ts";
import { orderKeys } from "./key-order.ts";
import { asArray, at } from "./raw.ts";
import { type MachineConfig, MachineConfigSchema } from "./schema/config.ts";
import { documentKind } from "./schema/documents.ts";

function schemaFor(value: unknown) {
  const id = documentIdentity(value);
  if (!id) return undefined;
  return id.kind === MACHINE_CONFIG_KIND ? MachineConfigSchema : documentKind(id.kind)?.schema;
}

function stringifyOne(value: unknown): string {
  const doc = new Document(orderKeys(value, schemaFor(value)), { aliasDuplicateObjects: false });
  // File permissions read best in octal: 0o644.
  asArray(at(value, "machine", "files")).forEach((_, i) => {
    const node = doc.getIn(["machine", "files", i, "permissions"], true);
    if (isScalar(node) && typeof node.value === "number" && Number.isInteger(node.value)) node.format = "OCT";
  });
  return doc.toString({ lineWidth: 0 });
}

/** Serialises documents as one multi-document YAML stream, each with a stable key order. */
export function stringifyDocuments(values: readonly unknown[]): string {
  return values.map(stringifyOne).join("---\n");
}

/** The machine config followed by extra typed documents, as multi-document YAML with a stable key order. */
export function stringifyConfig(config: MachineConfig, extraDocuments: unknown[] = []): string {
  return stringifyDocuments([config, ...extraDocuments]);
}
