// A minimal root filesystem for test containers: Debian's busybox-static with its applets linked
// into /bin, /etc/passwd and /etc/group, and the empty directories runc mounts onto.
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const BUSYBOX = "/bin/busybox";

/** Fills `dir` (created if needed) with a busybox root filesystem; returns `dir`. */
export function makeBusyboxRootfs(
  dir: string,
  options: { busybox?: string; files?: Record<string, Uint8Array | string> } = {},
): string {
  const busybox = options.busybox ?? BUSYBOX;
  if (!existsSync(busybox)) throw new Error(`${busybox} does not exist: install Debian's busybox-static`);
  const list = Bun.spawnSync([busybox, "--list"]);
  if (list.exitCode !== 0) throw new Error(`${busybox} --list failed: is busybox-static installed?`);
  for (const d of ["bin", "etc", "proc", "sys", "dev", "tmp", "run", "var/log", "root"])
    mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(busybox, join(dir, "bin/busybox"));
  for (const applet of list.stdout.toString().split("\n").filter(Boolean).sort())
    if (applet !== "busybox") symlinkSync("busybox", join(dir, "bin", applet));
  writeFileSync(
    join(dir, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
  );
  writeFileSync(join(dir, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  for (const [path, data] of Object.entries(options.files ?? {})) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  return dir;
}
