import type { Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import type { ListResponse } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { toConnectError } from "../api-errors.ts";
import { requirePath, showPath } from "../caller-input.ts";
import { FilesRoot, FilesRootError, type ResolvedPath } from "../files/files-root.ts";
import { OpenRegularFileError, openRegularFile } from "../files/open-regular-file.ts";
import { CHUNK_BYTES, tarStream } from "../files/tar-stream.ts";
import { walk } from "../files/walk.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

function resolve(root: () => FilesRoot, path: string, method: string): ResolvedPath {
  requirePath(path, method);
  try {
    return root().resolve(path);
  } catch (error) {
    if (error instanceof FilesRootError) {
      const code = error.code === "NotFound" ? Code.NotFound : Code.PermissionDenied;
      throw new ConnectError(`${method}: ${error.message}`, code);
    }
    throw toConnectError(error, `${method} ${showPath(path)}`);
  }
}

/** Read's file: a regular file only, opened without blocking (see openRegularFile). */
async function openForRead(target: ResolvedPath): Promise<FileHandle> {
  const doing = `Read ${showPath(target.visible)}`;
  try {
    return await openRegularFile(target.host);
  } catch (error) {
    if (error instanceof OpenRegularFileError) {
      const hint = error.kind === "a directory" ? ": use List or Copy" : "";
      const code = error.code === "NotRegular" ? Code.InvalidArgument : Code.Aborted;
      throw new ConnectError(`${doing}: ${error.message}${hint}`, code);
    }
    throw toConnectError(error, doing);
  }
}

function toListReply(entry: {
  visible: string;
  relative: string;
  stats: Stats | undefined;
  linkTarget?: string;
  error?: string;
}): Omit<ListResponse, "$typeName"> {
  const s = entry.stats;
  return {
    name: entry.visible,
    relativeName: entry.relative,
    size: BigInt(s?.size ?? 0),
    mode: s?.mode ?? 0,
    modified: BigInt(Math.floor((s?.mtimeMs ?? 0) / 1000)),
    isDir: s?.isDirectory() ?? false,
    link: entry.linkTarget ?? "",
    uid: s?.uid ?? 0,
    gid: s?.gid ?? 0,
    error: entry.error ?? "",
  };
}

/** List, Read and Copy, confined to `filesRoot` ("/" on a node, a sandbox in container mode). */
export function fileHandlers(
  filesRoot: string,
  options: HandlerOptions,
): Pick<MachineServiceImpl, "list" | "read" | "copy"> {
  let root: FilesRoot | undefined;
  const getRoot = () => {
    root ??= new FilesRoot(filesRoot);
    return root;
  };
  return {
    async *list(req, ctx) {
      const target = resolve(getRoot, req.root, "List");
      const depth = req.maxDepth < 0 ? Number.POSITIVE_INFINITY : Math.max(1, req.maxDepth);
      const signal = AbortSignal.any([ctx.signal, options.shutdown]);
      try {
        for await (const entry of walk(target.host, target.visible, depth, signal)) yield toListReply(entry);
      } catch (error) {
        throw toConnectError(error, `List ${showPath(target.visible)}`);
      }
    },
    async *read(req, ctx) {
      const target = resolve(getRoot, req.path, "Read");
      const file = await openForRead(target);
      try {
        const buffer = new Uint8Array(CHUNK_BYTES);
        for (;;) {
          if (ctx.signal.aborted || options.shutdown.aborted) return;
          const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) return;
          yield { data: buffer.slice(0, bytesRead) };
        }
      } catch (error) {
        throw toConnectError(error, `Read ${showPath(target.visible)}`);
      } finally {
        await file.close();
      }
    },
    async *copy(req, ctx) {
      const target = resolve(getRoot, req.rootPath, "Copy");
      const signal = AbortSignal.any([ctx.signal, options.shutdown]);
      try {
        for await (const data of tarStream(target.host, target.visible, signal)) yield { data };
      } catch (error) {
        throw toConnectError(error, `Copy ${showPath(target.visible)}`);
      }
    },
  };
}
