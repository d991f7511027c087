// `osctl config new <file>` (Talos: `talosctl config new`): asks the node (a control plane: it holds
// the OS CA key) for a new client certificate with one role, and writes a new osconfig with one
// context, `<current context>-<role without os:>`, for the same endpoints and nodes.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { NODE_HEADER } from "@bronze/api";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { CliError, usageError } from "../cli-error.ts";
import { type NodeGlobals, withNodeSession } from "../client/node-client.ts";
import { describeError } from "../client/node-error.ts";
import { writeFilesAtomically } from "../files/atomic-write.ts";
import type { Io } from "../io.ts";
import { loadOsconfig, selectContext, stringifyOsconfig } from "../osconfig/osconfig.ts";
import { resolveOsconfigPath } from "../osconfig/osconfig-path.ts";

/** Talos's default role (its default --crt-ttl, 87600h, is set in program/osconfig.ts). */
export const DEFAULT_NEW_ROLE = "os:admin";

export interface ConfigNewOptions {
  /** Exactly one role; empty means DEFAULT_NEW_ROLE. */
  roles: string[];
  /** Milliseconds. */
  crtTtl: number;
  force: boolean;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

export async function configNew(
  file: string,
  options: ConfigNewOptions,
  globals: NodeGlobals,
  io: Io,
): Promise<void> {
  const roles = options.roles.length > 0 ? options.roles : [DEFAULT_NEW_ROLE];
  const [role] = roles;
  if (role === undefined || roles.length > 1) {
    throw usageError(`--roles: a client certificate carries exactly one role (got ${roles.join(", ")})`);
  }
  const output = resolve(io.cwd, file);
  // Refused before anything is minted; the write itself checks again.
  if (!options.force && existsSync(output)) {
    throw new CliError("exists", `refusing to overwrite ${output}: it exists (use --force)`);
  }

  const path = resolveOsconfigPath(globals.osconfig, io);
  const { name, context } = selectContext(loadOsconfig(path), globals.context, path);
  const endpoints = globals.endpoints?.length ? globals.endpoints : context.endpoints;
  const nodes = globals.nodes?.length ? globals.nodes : context.nodes;
  if (nodes.length > 1) {
    throw usageError(
      `config new asks one node for the certificate; give one with -n (the context has ${nodes.join(", ")})`,
    );
  }

  const issued = await withNodeSession({ ...globals, osconfig: path }, io, {}, async (session) => {
    const node = nodes[0];
    try {
      return await session.client.generateClientConfiguration(
        { roles: [role], crtTtl: durationFromMs(options.crtTtl) },
        { headers: node === undefined ? {} : { [NODE_HEADER]: node }, timeoutMs: session.timeoutMs },
      );
    } catch (error) {
      const who = node ?? session.endpoint;
      throw new CliError("failed", `${who}: ${describeError(error, session.endpoint, session.timeoutMs)}`, {
        cause: error,
      });
    }
  });

  const contextName = `${name}-${role.replace(/^os:/, "")}`;
  const content = stringifyOsconfig({
    context: contextName,
    contexts: {
      [contextName]: { endpoints, nodes, ca: b64(issued.ca), crt: b64(issued.crt), key: b64(issued.key) },
    },
  });
  writeFilesAtomically([{ path: output, content, mode: 0o600 }], { force: options.force });
  io.stdout(`created ${output} (context "${contextName}", role ${role})\n`);
}
