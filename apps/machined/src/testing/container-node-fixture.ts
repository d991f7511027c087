// A real machined in container mode for fault-injection tests (spawnMachined: the node binary built
// for this test run, apid on a free port), its console as lines, and its machine API over the unix
// socket (the role in a header, as apid passes it).
import { connect } from "node:net";
import { join } from "node:path";
import { MachineService, ROLE_HEADER } from "@bronze/api";
import { type LineReader, readLines } from "@bronze/testing";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { nodePaths } from "../node/node-paths.ts";
import { spawnCompiledMachined, spawnMachined } from "./container-machined.ts";

export const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");

export interface ContainerNode {
  readonly proc: Awaited<ReturnType<typeof spawnMachined>>;
  /** machined's console, a line at a time. */
  readonly console: LineReader;
  readonly api: Client<typeof MachineService>;
}

/**
 * Starts machined `--platform container --root <root>` with `args`: from its sources under bun, or with
 * `compiled`, the node binary built for this test run.
 */
export async function startContainerNode(
  root: string,
  args: readonly string[],
  options: { readonly compiled?: boolean } = {},
): Promise<ContainerNode> {
  const spawn = options.compiled === true ? spawnCompiledMachined : spawnMachined;
  const proc = await spawn(root, "--platform", "container", ...args);
  const socketPath = nodePaths(root).machinedSocket;
  const api = createClient(
    MachineService,
    createGrpcTransport({
      baseUrl: "http://localhost",
      nodeOptions: { createConnection: () => connect(socketPath) },
      interceptors: [
        (next) => (req) => {
          req.header.set(ROLE_HEADER, "os:admin");
          return next(req);
        },
      ],
    }),
  );
  return { proc, console: readLines(proc.stdout), api };
}
