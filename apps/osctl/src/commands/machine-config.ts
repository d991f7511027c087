// `osctl get config` and `osctl apply-config -f FILE [--mode …] [--dry-run]`; with
// `--insecure --cert-fingerprint FP` the config goes to a node in maintenance mode, over TLS
// pinned to the certificate fingerprint the node prints on its console (no client certificate).
import { type ApplyConfigurationResponse, ApplyMode } from "@bronze/api";
import { CONFIG_LIMITS } from "@bronze/config-schema";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { CliError, usageError } from "../cli-error.ts";
import { fanOut } from "../client/fan-out.ts";
import { type NodeGlobals, withNodeSession } from "../client/node-client.ts";
import type { ApplyModeName } from "../client/node-flags.ts";
import { nodeData, reportErrors } from "../client/node-output.ts";
import { readTextFile } from "../files/read-input.ts";
import type { Io } from "../io.ts";
import { type OutputFormat, renderData } from "../output/output-format.ts";

export async function getConfig(
  options: { output: OutputFormat },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, async (n) => {
      const res = await session.client.getConfiguration(
        {},
        { headers: n.headers, timeoutMs: session.timeoutMs },
      );
      return { config: new TextDecoder().decode(res.data), redacted: res.redacted };
    });
    if (options.output !== "table") {
      io.stdout(
        renderData(
          options.output,
          nodeData(results, (v) => v),
        ),
      );
    } else {
      const several = results.length > 1;
      for (const r of results) {
        if (!("value" in r)) continue;
        if (several) io.stdout(`# node: ${r.node}\n`);
        if (r.value.redacted) io.stderr(`${r.node}: secrets are redacted (only os:admin sees them)\n`);
        const text = r.value.config;
        io.stdout(text === "" ? "# (no machine config)\n" : text.endsWith("\n") ? text : `${text}\n`);
        if (several) io.stdout("---\n");
      }
    }
    return reportErrors(io, results);
  });
}

const MODES: Record<ApplyModeName, ApplyMode> = {
  auto: ApplyMode.AUTO,
  "no-reboot": ApplyMode.NO_REBOOT,
  staged: ApplyMode.STAGED,
  try: ApplyMode.TRY,
};

const MODE_NAMES = new Map<ApplyMode, string>(Object.entries(MODES).map(([k, v]) => [v, k]));

export interface ApplyConfigOptions {
  file: string;
  mode: ApplyModeName;
  dryRun?: boolean;
  insecure?: boolean;
  certFingerprint?: string;
  /** Milliseconds; with --mode try. */
  tryTimeout?: number;
}

export async function applyConfig(
  options: ApplyConfigOptions,
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  if (options.certFingerprint !== undefined && !options.insecure)
    throw usageError("--cert-fingerprint goes with --insecure (a node in maintenance mode)");
  if (options.insecure && options.certFingerprint === undefined)
    throw usageError(
      "--insecure needs --cert-fingerprint: the node prints its certificate fingerprint on its console in maintenance mode",
    );
  if (options.tryTimeout !== undefined && options.mode !== "try")
    throw usageError("--try-timeout goes with --mode try");
  const input = readTextFile(options.file, io, "-f/--file");
  const data = new TextEncoder().encode(input.text);
  // The node refuses it anyway; sent, a body past the API's 8 MiB would cost the whole connection.
  if (data.length > CONFIG_LIMITS.maxBytes)
    throw new CliError(
      "invalid-input",
      `-f/--file: ${options.file} is ${data.length} bytes; a machine config may be at most ${CONFIG_LIMITS.maxBytes} bytes (1 MiB)`,
    );
  const request = {
    data,
    mode: MODES[options.mode],
    dryRun: options.dryRun ?? false,
    tryTimeout: options.tryTimeout !== undefined ? durationFromMs(options.tryTimeout) : undefined,
  };
  return withNodeSession(
    globals,
    io,
    { insecureFingerprint: options.insecure ? options.certFingerprint : undefined },
    async (session) => {
      const results = await fanOut(session, (n) =>
        session.client.applyConfiguration(request, { headers: n.headers, timeoutMs: session.timeoutMs }),
      );
      for (const r of results) if ("value" in r) printApplied(io, r.node, r.value, results.length > 1);
      return reportErrors(io, results);
    },
  );
}

function printApplied(io: Io, node: string, res: ApplyConfigurationResponse, several: boolean): void {
  const prefix = several ? `${node}: ` : "";
  for (const warning of res.warnings) io.stderr(`${prefix}warning: ${warning}\n`);
  if (res.dryRun) {
    io.stdout(`${prefix}dry run: nothing changed (mode ${MODE_NAMES.get(res.mode) ?? res.mode})\n`);
    io.stdout(res.diff ? (res.diff.endsWith("\n") ? res.diff : `${res.diff}\n`) : `${prefix}no changes\n`);
    return;
  }
  io.stdout(`${prefix}${res.modeDetails || `applied (mode ${MODE_NAMES.get(res.mode) ?? res.mode})`}\n`);
}
