// Test fixtures: the valid corpus configs and helpers to validate modified copies of them.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { stringifyDocuments } from "../src/stringify.ts";
import type { ConfigIssue, Mode } from "../src/types.ts";
import { validateConfig } from "../src/validate.ts";

const TESTDATA = new URL("../testdata/", import.meta.url);

export function readTestdata(name: string): string {
  return readFileSync(new URL(name, TESTDATA), "utf8");
}

export const CONTROLPLANE_YAML = readTestdata("controlplane.yaml");
export const WORKER_YAML = readTestdata("worker.yaml");

/** Base64 of a PEM file from testdata/pki (made once with openssl, see testdata/pki/generate.sh). */
export function pkiBase64(file: string, relabel?: string): string {
  let pem = readTestdata(`pki/${file}`);
  if (relabel) pem = pem.replaceAll("PRIVATE KEY", relabel);
  return Buffer.from(pem).toString("base64");
}

type Json = Record<string, unknown>;

function docsOf(text: string): Json[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Json);
}

/** A fresh copy of the control-plane machine config document (as plain data). */
export function controlplane(): Json {
  return docsOf(CONTROLPLANE_YAML)[0] as Json;
}

export function worker(): Json {
  return docsOf(WORKER_YAML)[0] as Json;
}

/** All documents of the control-plane stream (machine config + typed documents). */
export function controlplaneDocuments(): Json[] {
  return docsOf(CONTROLPLANE_YAML);
}

/** Sets (or with `undefined`, deletes) the value at a dotted path like "machine.network.interfaces.0.mtu". */
export function set(root: unknown, path: string, value: unknown): void {
  const segments = path.split(".");
  let current = root as Record<string, unknown>;
  for (const segment of segments.slice(0, -1)) {
    if (current[segment] === undefined) current[segment] = {};
    current = current[segment] as Record<string, unknown>;
  }
  const last = segments[segments.length - 1] as string;
  if (value === undefined) delete current[last];
  else current[last] = value;
}

/** Returns a modified copy of `base` (each entry: dotted path => value, undefined deletes). */
export function modified(base: Json, changes: Record<string, unknown>): Json {
  const copy = structuredClone(base);
  for (const [path, value] of Object.entries(changes)) set(copy, path, value);
  return copy;
}

export interface Found {
  path: string;
  code: string;
}

export function issuesOf(documents: unknown[], mode: Mode = "metal", strict = false) {
  return validateConfig(stringifyDocuments(documents), { mode, strict });
}

/** The errors (path + code) of validating the given documents. */
export function errorsOf(documents: unknown[], mode: Mode = "metal"): Found[] {
  return issuesOf(documents, mode).errors.map((e: ConfigIssue) => ({ path: e.path, code: e.code }));
}

export function warningsOf(documents: unknown[], mode: Mode = "metal"): Found[] {
  return issuesOf(documents, mode).warnings.map((e: ConfigIssue) => ({ path: e.path, code: e.code }));
}

export interface RuleCase {
  name: string;
  /** Machine type of the base config. */
  base?: "controlplane" | "worker";
  mode?: Mode;
  bad: Record<string, unknown>;
  good: Record<string, unknown>;
  path: string;
  code: string;
}

/** Validates `bad` (must report `code` at `path`) and `good` (must report nothing at `path`). */
export function checkRule(rule: RuleCase): { bad: Found[]; good: Found[] } {
  const base = rule.base === "worker" ? worker() : controlplane();
  const bad = errorsOf([modified(base, rule.bad)], rule.mode);
  const good = errorsOf([modified(base, rule.good)], rule.mode);
  return { bad, good };
}
