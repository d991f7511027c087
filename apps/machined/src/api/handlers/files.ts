import type { Stats } from "node:fs";
import { open } from "node:fs/promises";
import type { ListResponse } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { toConnectError } from "../api-errors.ts";
import { FilesRoot, FilesRootError, type ResolvedPath } from "../files/files-root.ts";
import { CHUNK_BYTES, tarStream } from "../files/tar-stream.ts";
import { walk } from "../files/walk.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

function resolve(root: () => FilesRoot, path: string, method: string): ResolvedPath {
  try {
    return root().resolve(path);
  } catch (error) {
    if (error instanceof FilesRootError) {
      const code = error.code === "NotFound" ? Code.NotFound : Code.PermissionDenied;
      throw new ConnectError(`${method}: ${error.message}`, code);
    }
    throw toConnectError(error, `${method} ${path}`);
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
        throw toConnectError(error, `List ${target.visible}`);
      }
    },
    async *read(req, ctx) {
      const target = resolve(getRoot, req.path, "Read");
      let file: Awaited<ReturnType<typeof open>>;
      try {
        file = await open(target.host, "r");
      } catch (error) {
        throw toConnectError(error, `Read ${target.visible}`);
      }
      try {
        const stats = await file.stat();
        if (!stats.isFile()) {
          throw new ConnectError(
            `Read ${target.visible}: not a regular file${stats.isDirectory() ? " (a directory: use List or Copy)" : ""}`,
            Code.InvalidArgument,
          );
        }
        const buffer = new Uint8Array(CHUNK_BYTES);
        for (;;) {
          if (ctx.signal.aborted || options.shutdown.aborted) return;
          const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) return;
          yield { data: buffer.slice(0, bytesRead) };
        }
      } catch (error) {
        throw toConnectError(error, `Read ${target.visible}`);
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
        throw toConnectError(error, `Copy ${target.visible}`);
      }
    },
  };
}
