import { parseArgs } from "node:util";
import { parseListenAddress } from "@bronze/api";
import { TrustdError } from "./trustd-error.ts";
import { startTrustd } from "./trustd-server.ts";

export const TRUSTD_PORT = 50001;

export const TRUSTD_USAGE = `usage: trustd [--listen 0.0.0.0:${TRUSTD_PORT}] --pki-dir DIR --token-file FILE [--allow-san NAME]...

  --listen ADDRESS     host:port to serve on (default 0.0.0.0:${TRUSTD_PORT})
  --pki-dir DIR        ca.crt, ca.key (the OS CA), server.crt, server.key (this node's); reloaded on change
  --token-file FILE    the machine token joining nodes present
  --allow-san NAME     a DNS name or IP any node may claim besides its own address (repeatable)
  --help               this text
`;

export interface TrustdArgs {
  readonly host: string;
  readonly port: number;
  readonly pkiDir: string;
  readonly tokenFile: string;
  readonly extraSans: string[];
}

/** Parses trustd's flags (argv without the program name). Throws TrustdError "Usage". */
export function parseTrustdArgs(argv: string[]): TrustdArgs | "help" {
  let values: {
    listen?: string;
    "pki-dir"?: string;
    "token-file"?: string;
    "allow-san"?: string[];
    help?: boolean;
  };
  try {
    values = parseArgs({
      args: argv,
      options: {
        listen: { type: "string", default: `0.0.0.0:${TRUSTD_PORT}` },
        "pki-dir": { type: "string" },
        "token-file": { type: "string" },
        "allow-san": { type: "string", multiple: true, default: [] },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new TrustdError("Usage", (error as Error).message);
  }
  if (values.help) return "help";
  const pkiDir = values["pki-dir"];
  const tokenFile = values["token-file"];
  if (pkiDir === undefined || pkiDir === "") throw new TrustdError("Usage", "--pki-dir is required");
  if (tokenFile === undefined || tokenFile === "") throw new TrustdError("Usage", "--token-file is required");
  const listen = parseListenAddress(values.listen ?? "", "--listen", TRUSTD_PORT);
  if (typeof listen === "string") throw new TrustdError("Usage", listen);
  return {
    ...listen,
    pkiDir,
    tokenFile,
    extraSans: values["allow-san"] ?? [],
  };
}

/** trustd's entry point (the multi-call binary dispatches here): serves until SIGTERM/SIGINT. */
export async function main(argv: string[]): Promise<number> {
  let args: TrustdArgs | "help";
  try {
    args = parseTrustdArgs(argv);
  } catch (error) {
    process.stderr.write(`trustd: ${(error as Error).message}\n${TRUSTD_USAGE}`);
    return 2;
  }
  if (args === "help") {
    process.stdout.write(TRUSTD_USAGE);
    return 0;
  }
  // Listen for the stop signals before serving: a supervisor may stop us as soon as we are up.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  let trustd: Awaited<ReturnType<typeof startTrustd>>;
  try {
    trustd = await startTrustd({
      host: args.host,
      port: args.port,
      pkiDir: args.pkiDir,
      tokenFile: args.tokenFile,
      extraSans: args.extraSans,
      log: (line) => process.stdout.write(`${line}\n`),
      onInternalError: (error) => process.stderr.write(`trustd: ${(error as Error).message}\n`),
    });
  } catch (error) {
    if (!(error instanceof TrustdError)) throw error;
    process.stderr.write(`trustd: ${error.message}\n`);
    return 1;
  }
  process.stdout.write(`trustd: serving on ${args.host}:${trustd.port}\n`);
  await stopped;
  await trustd.close();
  return 0;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
