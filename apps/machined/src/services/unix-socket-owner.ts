import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** __SO_ACCEPTCON in /proc/net/unix's Flags column: the socket listens. */
const LISTENING = 0x10000;

/**
 * The inodes of the sockets listening on the unix socket path `path`, from the text of /proc/net/unix
 * (`Num RefCount Protocol Flags Type St Inode Path`). A path nobody listens on gives none.
 */
export function listeningSocketInodes(procNetUnix: string, path: string): number[] {
  const inodes: number[] = [];
  for (const line of procNetUnix.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || fields.slice(7).join(" ") !== path) continue;
    if ((Number.parseInt(fields[3] ?? "", 16) & LISTENING) === 0) continue;
    const inode = Number(fields[6]);
    if (Number.isInteger(inode)) inodes.push(inode);
  }
  return inodes;
}

/** Whether process `pid` holds one of the sockets `inodes` (among its open files in /proc/<pid>/fd). */
export function processHoldsSocket(pid: number, inodes: readonly number[], procRoot = "/proc"): boolean {
  const wanted = new Set(inodes.map((inode) => `socket:[${inode}]`));
  let fds: string[];
  try {
    fds = readdirSync(join(procRoot, String(pid), "fd"));
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (wanted.has(readlinkSync(join(procRoot, String(pid), "fd", fd)))) return true;
    } catch {
      // closed while we looked
    }
  }
  return false;
}

export class SocketOwnerError extends Error {
  override readonly name = "SocketOwnerError";
  constructor(
    readonly code: "NotListening" | "OtherOwner",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Throws unless process `pid` is the one listening on the unix socket `path`: a socket answering says
 * nothing of which process answers (another daemon left on the same socket, say).
 */
export function assertSocketOwner(path: string, pid: number, what: string, procRoot = "/proc"): void {
  let table: string;
  try {
    table = readFileSync(join(procRoot, "net/unix"), "utf8");
  } catch {
    return; // no /proc/net/unix to tell: nothing to hold against the process
  }
  const inodes = listeningSocketInodes(table, path);
  if (inodes.length === 0)
    throw new SocketOwnerError(
      "NotListening",
      `nothing listens on ${path}: ${what} (pid ${pid}) does not serve it`,
    );
  if (!processHoldsSocket(pid, inodes, procRoot))
    throw new SocketOwnerError(
      "OtherOwner",
      `${path} is served by another process, not by ${what} (pid ${pid})`,
    );
}
