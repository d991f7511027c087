import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { parseListenAddress } from "@bronze/api";
import { ApidError } from "./apid-error.ts";
import { APID_PORT } from "./apid-port.ts";
import { startApid } from "./apid-server.ts";

export const APID_USAGE = `usage: apid [--listen 0.0.0.0:${APID_PORT}] --machined-socket PATH (--pki-dir DIR | --maintenance)

  --listen ADDRESS         host:port to serve on (default 0.0.0.0:${APID_PORT})
  --machined-socket PATH   machined's API socket
  --pki-dir DIR            ca.crt, server.crt, server.key [, impersonator.crt, impersonator.key]; watched for renewals
  --maintenance            no config yet: self-signed certificate, no client certificates, a few methods
  --node-port N            the port the cluster's apids listen on: calls are forwarded there only
                           (default: this apid's --listen port; several nodes on one host differ)
  --help                   this text
`;

export interface ApidArgs {
  readonly host: string;
  readonly port: number;
  readonly machinedSocket: string;
  readonly pkiDir: string | undefined;
  readonly maintenance: boolean;
  /** --node-port: where other nodes' apids listen (default: this apid's own port). */
  readonly nodePort?: number;
}

/** Parses apid's flags (argv without the program name). Throws ApidError "Usage". */
export function parseApidArgs(argv: string[]): ApidArgs | "help" {
  let values: ReturnType<typeof parse>["values"];
  function parse() {
    return parseArgs({
      args: argv,
      options: {
        listen: { type: "string", default: `0.0.0.0:${APID_PORT}` },
        "machined-socket": { type: "string" },
        "pki-dir": { type: "string" },
        maintenance: { type: "boolean", default: false },
        "node-port": { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  }
  try {
    values = parse().values;
  } catch (error) {
    throw new ApidError("Usage", (error as Error).message);
  }
  if (values.help) return "help";
  const listen = parseListenAddress(values.listen ?? "", "--listen", APID_PORT);
  if (typeof listen === "string") throw new ApidError("Usage", listen);
  const machinedSocket = values["machined-socket"];
  if (machinedSocket === undefined || machinedSocket === "") {
    throw new ApidError("Usage", "--machined-socket is required");
  }
  const pkiDir = values["pki-dir"];
  const maintenance = values.maintenance ?? false;
  if (maintenance === (pkiDir !== undefined)) {
    throw new ApidError("Usage", "give exactly one of --pki-dir DIR and --maintenance");
  }
  const nodePortText = values["node-port"];
  let nodePort: number | undefined;
  if (nodePortText !== undefined) {
    nodePort = Number(nodePortText);
    if (!/^\d+$/.test(nodePortText) || nodePort < 1 || nodePort > 65535)
      throw new ApidError(
        "Usage",
        `--node-port must be a TCP port, 1 to 65535 (got ${JSON.stringify(nodePortText)})`,
      );
  }
  return { ...listen, machinedSocket, pkiDir, maintenance, ...(nodePort !== undefined ? { nodePort } : {}) };
}

/** apid's entry point (the multi-call binary dispatches here): serves until SIGTERM/SIGINT. */
export async function main(argv: string[]): Promise<number> {
  let args: ApidArgs | "help";
  try {
    args = parseApidArgs(argv);
  } catch (error) {
    process.stderr.write(`apid: ${(error as Error).message}\n${APID_USAGE}`);
    return 2;
  }
  if (args === "help") {
    process.stdout.write(APID_USAGE);
    return 0;
  }
  // Listen for the stop signals before serving: a supervisor may stop us as soon as we are up.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  let apid: Awaited<ReturnType<typeof startApid>>;
  try {
    apid = await startApid({
      host: args.host,
      port: args.port,
      machinedSocket: args.machinedSocket,
      mode:
        args.pkiDir !== undefined
          ? { kind: "secure", pkiDir: args.pkiDir }
          : { kind: "maintenance", hostname: hostname() },
      // Every node's apid listens on the same port: the one calls are forwarded to.
      apidPort: args.nodePort ?? (args.port === 0 ? APID_PORT : args.port),
      log: (line) => process.stdout.write(`${line}\n`),
      onInternalError: (error) => process.stderr.write(`apid: ${(error as Error).message}\n`),
    });
  } catch (error) {
    if (!(error instanceof ApidError)) throw error;
    process.stderr.write(`apid: ${error.message}\n`);
    return 1;
  }
  process.stdout.write(`apid: serving on ${args.host}:${apid.port}\n`);
  await stopped;
  await apid.close();
  return 0;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
