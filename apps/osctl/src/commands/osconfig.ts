// `osctl config …`: manage the client config file (contexts, endpoints, nodes, merge, info).
import { decodePemBase64, inspectCertificate } from "@bronze/pki";
import { CliError, usageError } from "../cli-error.ts";
import { readTextFile } from "../files/read-input.ts";
import type { Io } from "../io.ts";
import {
  loadOsconfig,
  mergeOsconfig,
  parseOsconfig,
  saveOsconfig,
  selectContext,
} from "../osconfig/osconfig.ts";
import { type OutputFormat, renderOutput, renderTable } from "../output/output-format.ts";

export interface ConfigTarget {
  path: string;
  context?: string;
}

export function configContexts(target: ConfigTarget, format: OutputFormat, io: Io): void {
  const config = loadOsconfig(target.path);
  const rows = Object.entries(config.contexts).map(([name, ctx]) => ({
    current: name === config.context,
    name,
    endpoints: ctx.endpoints,
    nodes: ctx.nodes,
  }));
  io.stdout(
    renderOutput(format, rows, () =>
      renderTable(
        ["CURRENT", "NAME", "ENDPOINTS", "NODES"],
        rows.map((r) => [r.current ? "*" : "", r.name, r.endpoints.join(","), r.nodes.join(",")]),
      ),
    ),
  );
}

export function configUseContext(target: ConfigTarget, name: string, io: Io): void {
  const config = loadOsconfig(target.path);
  selectContext(config, name, target.path);
  saveOsconfig(target.path, { ...config, context: name });
  io.stdout(`current context is now "${name}"\n`);
}

function updateContext(target: ConfigTarget, io: Io, field: "endpoints" | "nodes", values: string[]): void {
  if (values.some((v) => v.trim() === "")) throw usageError(`${field}: empty value`);
  const config = loadOsconfig(target.path);
  const { name, context } = selectContext(config, target.context, target.path);
  const updated = { ...config, contexts: { ...config.contexts, [name]: { ...context, [field]: values } } };
  saveOsconfig(target.path, updated);
  io.stdout(`context "${name}": ${field} set to ${values.length ? values.join(", ") : "(none)"}\n`);
}

export const configEndpoints = (t: ConfigTarget, values: string[], io: Io) =>
  updateContext(t, io, "endpoints", values);
export const configNodes = (t: ConfigTarget, values: string[], io: Io) =>
  updateContext(t, io, "nodes", values);

export function configMerge(target: ConfigTarget, file: string, io: Io): void {
  const input = readTextFile(file, io, "<file>");
  const source = parseOsconfig(input.text, file);
  if (Object.keys(source.contexts).length === 0)
    throw new CliError("invalid-input", `${file}: has no contexts to merge`);
  const { config, renamed } = mergeOsconfig(loadOsconfig(target.path, { allowMissing: true }), source);
  saveOsconfig(target.path, config);
  for (const [from, to] of Object.entries(renamed))
    io.stdout(`renamed context "${from}" to "${to}" (name taken)\n`);
  io.stdout(
    `merged ${Object.keys(source.contexts).length} context(s) into ${target.path}; current: "${config.context}"\n`,
  );
}

export function configRemove(target: ConfigTarget, name: string, io: Io): void {
  const config = loadOsconfig(target.path);
  selectContext(config, name, target.path);
  const { [name]: _removed, ...contexts } = config.contexts;
  saveOsconfig(target.path, { context: config.context === name ? "" : config.context, contexts });
  io.stdout(`removed context "${name}"\n`);
}

export function configInfo(target: ConfigTarget, format: OutputFormat, io: Io): void {
  const config = loadOsconfig(target.path);
  const { name, context } = selectContext(config, target.context, target.path);
  let cert: ReturnType<typeof inspectCertificate>;
  try {
    cert = inspectCertificate(decodePemBase64(context.crt));
  } catch (error) {
    throw new CliError(
      "invalid-input",
      `${target.path}: context "${name}": crt: ${(error as Error).message}`,
    );
  }
  const info = {
    context: name,
    endpoints: context.endpoints,
    nodes: context.nodes,
    roles: cert.organizations,
    commonName: cert.commonName,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    expiresIn: humanDuration(cert.notAfter.getTime() - io.now().getTime()),
  };
  io.stdout(
    renderOutput(format, info, () =>
      renderTable(
        ["FIELD", "VALUE"],
        [
          ["Current context", info.context],
          ["Endpoints", info.endpoints.join(", ") || "(none)"],
          ["Nodes", info.nodes.join(", ") || "(none)"],
          ["Roles", info.roles.join(", ") || "(none)"],
          ["Certificate expires", `${info.notAfter} (${info.expiresIn})`],
        ],
      ),
    ),
  );
}

export function humanDuration(ms: number): string {
  if (ms <= 0) return "expired";
  const hours = Math.floor(ms / 3_600_000);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  return days < 730 ? `${days}d` : `${Math.floor(days / 365)}y`;
}
