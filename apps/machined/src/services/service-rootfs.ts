import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** A system service's unprivileged identity (its own uid and gid, as Talos gives apid and trustd). */
export interface ServiceUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export const APID_USER: ServiceUser = { name: "apid", uid: 50, gid: 50 };
export const TRUSTD_USER: ServiceUser = { name: "trustd", uid: 51, gid: 51 };

/** What the multi-call binary needs at run time (`ldd` of a compiled Bun): glibc and its loader. */
export const NODE_BINARY_LIBRARIES = [
  "/lib64/ld-linux-x86-64.so.2",
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/x86_64-linux-gnu/libpthread.so.0",
  "/lib/x86_64-linux-gnu/libdl.so.2",
  "/lib/x86_64-linux-gnu/libm.so.6",
];

export interface ServiceRootfsOptions {
  readonly user: ServiceUser;
  /** Host root the libraries are copied from ("/" on a node and in container mode). */
  readonly hostRoot?: string;
  readonly libraries?: readonly string[];
  /** Directories to create as mount points (the container's view, e.g. /system/secrets/apid). */
  readonly mountPoints?: readonly string[];
  /** Files to create as mount points (e.g. /usr/bin/apid for the bind-mounted binary). */
  readonly fileMountPoints?: readonly string[];
}

/**
 * A minimal root for a service container, made by machined under /system (tmpfs on a node; the sandbox
 * in container mode): /etc/passwd and /etc/group naming the service's user, glibc and its loader for
 * the multi-call binary (bind-mounted at /usr/bin/<service> when the container starts), and the empty
 * directories and files runc mounts onto (the root is read-only in the container). Returns `dir`.
 */
export function prepareServiceRootfs(dir: string, options: ServiceRootfsOptions): string {
  const { user } = options;
  const hostRoot = options.hostRoot ?? "/";
  for (const d of ["etc", "proc", "sys", "dev", "tmp", "usr/bin", ...(options.mountPoints ?? [])]) {
    mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  }
  chmodSync(join(dir, "tmp"), 0o1777);
  writeFileSync(
    join(dir, "etc/passwd"),
    `root:x:0:0:root:/:/sbin/nologin\n${user.name}:x:${user.uid}:${user.gid}:${user.name}:/tmp:/sbin/nologin\n`,
    { mode: 0o644 },
  );
  writeFileSync(join(dir, "etc/group"), `root:x:0:\n${user.name}:x:${user.gid}:\n`, { mode: 0o644 });
  writeFileSync(join(dir, "etc/hosts"), "127.0.0.1 localhost\n::1 localhost\n", { mode: 0o644 });
  for (const library of options.libraries ?? NODE_BINARY_LIBRARIES) {
    const source = join(hostRoot, library);
    if (!existsSync(source)) continue;
    const target = join(dir, library);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    copyFileSync(source, target);
    chmodSync(target, 0o755);
  }
  for (const file of options.fileMountPoints ?? []) {
    const target = join(dir, file);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    if (!existsSync(target)) writeFileSync(target, "", { mode: 0o755 });
  }
  return dir;
}

/** A writable directory owned by the service's user (its /tmp, bind-mounted). */
export function serviceScratchDir(dir: string, user: ServiceUser): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, user.uid, user.gid);
  return dir;
}
