// The client config file (`osconfig`, default ~/.osctl/config): named contexts, each with the
// endpoints and nodes to talk to, the OS CA and a client certificate and key (base64 PEM, as in
// Talos' talosconfig). Loading validates it and names the field that is wrong.
import { existsSync, readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { CliError } from "../cli-error.ts";
import { writeFilesAtomically } from "../files/atomic-write.ts";

const OsconfigContextSchema = z.strictObject({
  endpoints: z.array(z.string().min(1)).default([]),
  nodes: z.array(z.string().min(1)).default([]),
  ca: z.string().min(1),
  crt: z.string().min(1),
  key: z.string().min(1),
});

const OsconfigSchema = z.strictObject({
  context: z.string().default(""),
  contexts: z.record(z.string(), OsconfigContextSchema).default({}),
});

export type OsconfigContext = z.infer<typeof OsconfigContextSchema>;
export type Osconfig = z.infer<typeof OsconfigSchema>;

export function parseOsconfig(text: string, source: string): Osconfig {
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (error) {
    throw new CliError("invalid-input", `${source}: not valid YAML: ${(error as Error).message}`);
  }
  const result = OsconfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new CliError("invalid-input", `${source}: invalid osconfig:\n  ${problems.join("\n  ")}`);
  }
  return result.data;
}

/** Loads the file; a missing file is an empty config when `allowMissing`, an error otherwise. */
export function loadOsconfig(path: string, options: { allowMissing?: boolean } = {}): Osconfig {
  if (!existsSync(path)) {
    if (options.allowMissing) return { context: "", contexts: {} };
    throw new CliError("not-found", `osconfig ${path} does not exist (create one with \`osctl gen config\`)`);
  }
  return parseOsconfig(readFileSync(path, "utf8"), path);
}

export function stringifyOsconfig(config: Osconfig): string {
  return stringify(config);
}

export function saveOsconfig(path: string, config: Osconfig): void {
  writeFilesAtomically([{ path, content: stringifyOsconfig(config), mode: 0o600 }], { force: true });
}

/** The context named by `--context`, else the current one. */
export function selectContext(
  config: Osconfig,
  name: string | undefined,
  path: string,
): { name: string; context: OsconfigContext } {
  const chosen = name ?? config.context;
  if (!chosen)
    throw new CliError("not-found", `${path}: no current context (use \`osctl config context <name>\`)`);
  const context = config.contexts[chosen];
  if (!context) {
    const known = Object.keys(config.contexts);
    throw new CliError(
      "not-found",
      `${path}: context "${chosen}" not found${known.length ? ` (known: ${known.join(", ")})` : ""}`,
    );
  }
  return { name: chosen, context };
}

/**
 * Adds every context of `source` to `target`. A name already taken gets a numeric suffix
 * (`name-1`, `name-2`, …), as talosctl does; the current context becomes the merged one.
 */
export function mergeOsconfig(
  target: Osconfig,
  source: Osconfig,
): { config: Osconfig; renamed: Record<string, string> } {
  const contexts = { ...target.contexts };
  const renamed: Record<string, string> = {};
  for (const [name, context] of Object.entries(source.contexts)) {
    let finalName = name;
    for (let i = 1; finalName in contexts; i++) finalName = `${name}-${i}`;
    if (finalName !== name) renamed[name] = finalName;
    contexts[finalName] = context;
  }
  const current = source.context ? (renamed[source.context] ?? source.context) : target.context;
  return { config: { context: current, contexts }, renamed };
}
