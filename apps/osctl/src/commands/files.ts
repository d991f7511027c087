// Files on the node (admin only): `osctl ls <path> [-l] [-d N]`, `osctl read <path>`,
// `osctl cp <path> <local>` (the node sends a tar archive; the local `tar` extracts it).
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type ListResponse, ListResponseSchema, MachineService } from "@bronze/api";
import { CliError, usageError } from "../cli-error.ts";
import { bytesStream } from "../client/bytes-stream.ts";
import { fanOut } from "../client/fan-out.ts";
import { type NodeGlobals, type NodeSession, withNodeSession } from "../client/node-client.ts";
import { messageData, printNodeResults, reportErrors } from "../client/node-output.ts";
import type { Io } from "../io.ts";
import type { OutputFormat } from "../output/output-format.ts";

/** File type bits of st_mode (S_IFMT) and ls's letter for each. */
const TYPES = new Map<number, string>([
  [0o140000, "s"],
  [0o120000, "L"],
  [0o100000, "-"],
  [0o060000, "b"],
  [0o040000, "d"],
  [0o020000, "c"],
  [0o010000, "p"],
]);

/** `drwxr-xr-x` from st_mode (with setuid/setgid/sticky as s/S, t/T, like ls). */
export function formatMode(mode: number): string {
  const type = TYPES.get(mode & 0o170000) ?? "?";
  const bits = "rwxrwxrwx".split("").map((c, i) => (mode & (1 << (8 - i)) ? c : "-"));
  const special = (index: number, flag: number, set: string) => {
    if (!(mode & flag)) return;
    bits[index] = bits[index] === "x" ? set : set.toUpperCase();
  };
  special(2, 0o4000, "s");
  special(5, 0o2000, "s");
  special(8, 0o1000, "t");
  return type + bits.join("");
}

function oneNode(session: NodeSession, command: string): void {
  if (session.nodes.length > 1)
    throw usageError(`${command} works on one node at a time (got ${session.nodes.join(", ")})`);
}

export async function ls(
  path: string,
  options: { long?: boolean; depth?: number; output: OutputFormat },
  globals: NodeGlobals,
  io: Io,
): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const results = await fanOut(session, async (n) => {
      const entries: ListResponse[] = [];
      for await (const entry of session.client.list(
        { root: path, maxDepth: options.depth ?? 1 },
        { headers: n.headers, timeoutMs: session.timeoutMs },
      ))
        entries.push(entry);
      return entries;
    });
    for (const r of results)
      if ("value" in r)
        for (const e of r.value) if (e.error) io.stderr(`error: ${r.node}: ${e.name}: ${e.error}\n`);
    const code = printNodeResults(io, options.output, results, {
      headers: options.long ? ["MODE", "UID", "GID", "SIZE(B)", "LASTMOD", "NAME"] : ["NAME"],
      rows: (entries) =>
        entries
          .filter((e) => !e.error)
          .map((e) => {
            const name = e.link ? `${e.relativeName} -> ${e.link}` : e.relativeName;
            if (!options.long) return [name];
            const modified = new Date(Number(e.modified) * 1000).toISOString();
            return [formatMode(e.mode), String(e.uid), String(e.gid), String(e.size), modified, name];
          }),
      data: (entries) => ({ entries: entries.map((e) => messageData(ListResponseSchema, e)) }),
    });
    const entryErrors = results.some((r) => "value" in r && r.value.some((e) => e.error));
    return entryErrors ? 1 : code;
  });
}

/** Writes the file's content to stdout (as UTF-8 text: for binary files use `cp`). */
export async function read(path: string, globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    oneNode(session, "read");
    const results = await fanOut(session, async (n) => {
      const decoder = new TextDecoder();
      for await (const data of bytesStream(
        session,
        MachineService.method.read,
        { path },
        { headers: n.headers, timeoutMs: session.timeoutMs },
      ))
        io.stdout(decoder.decode(data, { stream: true }));
      const rest = decoder.decode();
      if (rest) io.stdout(rest);
    });
    return reportErrors(io, results);
  });
}

/** Streams the node's tar archive of `path` into `tar -x` under `local` (`local/<node>` with several nodes). */
export async function cp(path: string, local: string, globals: NodeGlobals, io: Io): Promise<number> {
  return withNodeSession(globals, io, {}, async (session) => {
    const base = resolve(io.cwd, local);
    const results = await fanOut(session, async (n) => {
      const dir = session.nodes.length > 1 ? resolve(base, n.node.replace(/[^A-Za-z0-9._-]/g, "_")) : base;
      mkdirSync(dir, { recursive: true });
      // The archive is the node's word: as root, tar would otherwise keep its owners and its
      // setuid/setgid bits. GNU tar's own checks stay on (no -P): leading "/" stripped, members
      // with ".." refused, symlinks that could lead out of `dir` made last.
      const tar = Bun.spawn(["tar", "-x", "--no-same-owner", "--no-same-permissions", "-f", "-", "-C", dir], {
        stdin: "pipe",
        stdout: "ignore",
        stderr: "pipe",
      });
      try {
        for await (const data of bytesStream(
          session,
          MachineService.method.copy,
          { rootPath: path },
          { headers: n.headers, timeoutMs: session.timeoutMs },
        )) {
          tar.stdin.write(data);
          await tar.stdin.flush();
        }
      } catch (error) {
        tar.kill();
        throw error;
      } finally {
        await tar.stdin.end();
      }
      const exit = await tar.exited;
      if (exit !== 0) {
        const stderr = (await new Response(tar.stderr).text()).trim();
        throw new CliError(
          "failed",
          `tar could not extract the archive into ${dir}: ${stderr || `exit ${exit}`}`,
        );
      }
      return dir;
    });
    for (const r of results) if ("value" in r) io.stderr(`${r.node}: ${path} copied into ${r.value}\n`);
    return reportErrors(io, results);
  });
}
