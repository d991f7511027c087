import { describe, expect, test } from "bun:test";
import {
  compactInitramfsTree,
  initramfsTree,
  libraryEntries,
  ROOTFS_MOUNT_POINTS,
  rootfsTree,
} from "./layout.ts";
import { parseModulesDep } from "./module-deps.ts";

const libraries = {
  libraries: new Map([
    ["ld-linux-x86-64.so.2", "/u/libc6/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"],
    ["libc.so.6", "/u/libc6/lib/x86_64-linux-gnu/libc.so.6"],
  ]),
  interpreters: ["/lib64/ld-linux-x86-64.so.2"],
};

describe("layout", () => {
  test("libraries are files in the multiarch dir, the interpreter a symlink to its copy", () => {
    expect(libraryEntries(libraries)).toEqual([
      {
        type: "file",
        path: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        mode: 0o755,
        source: "/u/libc6/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
      },
      {
        type: "file",
        path: "/lib/x86_64-linux-gnu/libc.so.6",
        mode: 0o755,
        source: "/u/libc6/lib/x86_64-linux-gnu/libc.so.6",
      },
      {
        type: "symlink",
        path: "/lib64/ld-linux-x86-64.so.2",
        target: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
      },
    ]);
  });

  test("initramfs: shim, stage 1, rootfs image, modules in load order, console, mount points", () => {
    const dep = parseModulesDep("kernel/a.ko:\nkernel/b.ko: kernel/a.ko\n");
    const tree = initramfsTree({
      shim: new Uint8Array([1]),
      stage1: "/w/bronze",
      libraries,
      abi: "6.1.0-1-cloud-amd64",
      moduleDir: "/u/k/lib/modules/6.1.0-1-cloud-amd64",
      modules: ["kernel/a.ko", "kernel/b.ko"],
      modulesDep: dep,
      moduleRequests: ["b"],
      modulesBuiltin: "/u/k/lib/modules/6.1.0-1-cloud-amd64/modules.builtin",
      rootfs: "/o/rootfs.sqsh",
    });
    const at = (p: string) => tree.find((e) => e.path === p);
    expect(at("/init")).toMatchObject({ type: "file", mode: 0o755 });
    expect(at("/stage1")).toEqual({ type: "file", path: "/stage1", mode: 0o755, source: "/w/bronze" });
    expect(at("/rootfs.sqsh")).toMatchObject({ source: "/o/rootfs.sqsh" });
    expect(at("/lib/modules/6.1.0-1-cloud-amd64/kernel/b.ko")).toMatchObject({
      source: "/u/k/lib/modules/6.1.0-1-cloud-amd64/kernel/b.ko",
    });
    const load = at("/lib/modules/6.1.0-1-cloud-amd64/modules.load");
    expect(load?.type === "file" && "data" in load && new TextDecoder().decode(load.data)).toBe(
      "kernel/a.ko\nkernel/b.ko\n",
    );
    const list = at("/etc/bronze/modules");
    expect(list?.type === "file" && "data" in list && new TextDecoder().decode(list.data)).toBe("b\n");
    expect(at("/lib/modules/6.1.0-1-cloud-amd64/modules.builtin")).toMatchObject({
      source: "/u/k/lib/modules/6.1.0-1-cloud-amd64/modules.builtin",
    });
    expect(at("/dev/console")).toEqual({
      type: "char",
      path: "/dev/console",
      mode: 0o600,
      major: 5,
      minor: 1,
    });
    expect(at("/proc")).toMatchObject({ type: "dir" });
    expect(at("/newroot")).toMatchObject({ type: "dir" });
  });

  test("rootfs: the binaries, /etc, CA bundle, mount points, and no shell", () => {
    const tree = rootfsTree({
      node: "/w/bronze",
      containerd: "/c/containerd",
      containerdShim: "/c/shim",
      runc: "/r/runc",
      etcd: "/e/etcd",
      libraries,
      etc: new Map([["etc/passwd", "root:x:0:0::/:/sbin/nologin\n"]]),
      caBundle: "PEM",
    });
    const paths = tree.map((e) => e.path);
    for (const p of [
      "/sbin/init",
      "/usr/bin/containerd",
      "/usr/bin/containerd-shim-runc-v2",
      "/usr/sbin/runc",
      "/usr/bin/etcd",
    ]) {
      expect(paths).toContain(p);
    }
    expect(paths).toContain("etc/passwd");
    expect(paths).toContain("/etc/ssl/certs/ca-certificates.crt");
    // containerd bind-mounts /etc/resolv.conf into containers: it must lead to machined's copy
    expect(tree.find((e) => e.path === "/etc/resolv.conf")).toEqual({
      type: "symlink",
      path: "/etc/resolv.conf",
      target: "../system/etc/resolv.conf",
    });
    for (const [p] of ROOTFS_MOUNT_POINTS) expect(paths).toContain(p);
    expect(paths.filter((p) => /\/(sh|bash|busybox|ls|cat)$/.test(p))).toEqual([]);
  });

  test("compact initramfs: the mount shim, the image, the modules and the loop device; no Bun, no glibc", () => {
    const tree = compactInitramfsTree({
      abi: "6.1.0-1-cloud-amd64",
      moduleDir: "/u/k/lib/modules/6.1.0-1-cloud-amd64",
      modules: ["kernel/loop.ko", "kernel/squashfs.ko"],
      rootfs: "/o/rootfs.sqsh",
    });
    const paths = tree.map((e) => e.path).sort();
    expect(paths).toEqual([
      "/dev",
      "/dev/console",
      "/dev/kmsg",
      "/dev/loop0",
      "/dev/null",
      "/init",
      "/lib/modules/6.1.0-1-cloud-amd64/kernel/loop.ko",
      "/lib/modules/6.1.0-1-cloud-amd64/kernel/squashfs.ko",
      "/newroot",
      "/rootfs.sqsh",
    ]);
    const init = tree.find((e) => e.path === "/init");
    const text = init?.type === "file" && "data" in init ? new TextDecoder().decode(init.data) : "";
    // the shim carries the module paths in load order, then the image and /sbin/init
    const loop = text.indexOf("/lib/modules/6.1.0-1-cloud-amd64/kernel/loop.ko");
    expect(loop).toBeGreaterThan(0);
    expect(text.indexOf("/lib/modules/6.1.0-1-cloud-amd64/kernel/squashfs.ko")).toBeGreaterThan(loop);
    expect(text).toContain("/rootfs.sqsh\0/dev/loop0\0/newroot\0");
    expect(text).toContain("/sbin/init\0");
    expect(tree.find((e) => e.path === "/dev/loop0")).toEqual({
      type: "block",
      path: "/dev/loop0",
      mode: 0o600,
      major: 7,
      minor: 0,
    });
  });
});
