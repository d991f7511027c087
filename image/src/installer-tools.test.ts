import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ImageError } from "./image-error.ts";
import { InstallerError } from "./installer/installer-error.ts";
import {
  GCONV_DIR,
  GCONV_MODULES,
  INSTALLER_DATA,
  INSTALLER_LIBRARY_PACKAGES,
  INSTALLER_PACKAGES,
  INSTALLER_TOOLS,
  installerToolRunner,
  installerToolsTree,
  isGrubImageFile,
} from "./installer-tools.ts";
import type { RunTool } from "./run-tool.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every argv[0] install-to-disk.ts passes to run([...]). */
function toolsCalledByInstaller(): string[] {
  const source = readFileSync(join(import.meta.dir, "installer/install-to-disk.ts"), "utf8");
  return [...new Set([...source.matchAll(/run\(\s*\[\s*"([^"]+)"/g)].map((m) => m[1] as string))].sort();
}

/** A fake unpacked-package tree: each tool, GRUB's directories (with files to leave out), mke2fs.conf. */
function fakePackages(): (pkg: string) => string {
  const root = mkdtempSync(join(tmpdir(), "bronze-tools-"));
  dirs.push(root);
  const put = (pkg: string, path: string, text: string) => {
    const file = join(root, pkg, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  for (const t of INSTALLER_TOOLS) put(t.package, t.source, `elf ${t.name}`);
  for (const [pkg, dir] of [
    ["grub-pc-bin", "usr/lib/grub/i386-pc"],
    ["grub-efi-amd64-bin", "usr/lib/grub/x86_64-efi"],
  ] as const) {
    for (const f of ["normal.mod", "part_gpt.mod", "moddep.lst", "kernel.img", "config.h", "modinfo.sh"])
      put(pkg, `${dir}/${f}`, f);
    put(pkg, `${dir}/monolithic/grubx64.efi`, "signed");
  }
  put("e2fsprogs", "etc/mke2fs.conf", "[defaults]\n");
  put("libc6", "usr/lib/x86_64-linux-gnu/gconv/IBM850.so", "elf IBM850");
  return (pkg) => join(root, pkg);
}

describe("the installer's tools", () => {
  test("cover every program install-to-disk.ts runs (debugfs only for seeded disk images, sync through libc)", () => {
    const called = toolsCalledByInstaller();
    expect(called.length).toBeGreaterThan(5);
    const provided = new Set([...INSTALLER_TOOLS.map((t) => t.name), "sync", "debugfs"]);
    expect(called.filter((name) => !provided.has(name))).toEqual([]);
    expect(called).toContain("grub-mkimage");
  });

  test("packages: each tool's and data's package, and the libraries', once", () => {
    for (const t of INSTALLER_TOOLS) expect(INSTALLER_PACKAGES).toContain(t.package);
    for (const d of INSTALLER_DATA)
      if (d.package !== "libc6") expect(INSTALLER_PACKAGES).toContain(d.package);
    expect(INSTALLER_PACKAGES).not.toContain("libc6"); // in the image already
    for (const l of INSTALLER_LIBRARY_PACKAGES) expect(INSTALLER_PACKAGES).toContain(l);
    expect(new Set(INSTALLER_PACKAGES).size).toBe(INSTALLER_PACKAGES.length);
    expect(INSTALLER_PACKAGES).toContain("grub-pc-bin");
    expect(INSTALLER_PACKAGES).toContain("grub-efi-amd64-bin");
  });

  test("tools keep the name they are called by (mke2fs picks ext4 from it, mtools dispatches on it)", () => {
    for (const t of INSTALLER_TOOLS) expect(t.path.endsWith(`/${t.name}`)).toBe(true);
    expect(new Set(INSTALLER_TOOLS.map((t) => t.path)).size).toBe(INSTALLER_TOOLS.length);
  });

  test("GRUB files: modules, lists and images, not the monolithic EFI images or helpers", () => {
    expect(["normal.mod", "moddep.lst", "kernel.img", "boot.img"].every(isGrubImageFile)).toBe(true);
    expect(
      ["config.h", "modinfo.sh", "grub-bios-setup", "efiemu32.o", "g2ldr.mbr"].some(isGrubImageFile),
    ).toBe(false);
  });

  test("installerToolsTree: tools at their rootfs paths, GRUB's filtered directories, mke2fs.conf", () => {
    const dir = fakePackages();
    const { entries, binaries } = installerToolsTree(dir);
    const paths = entries.map((e) => e.path);
    for (const t of INSTALLER_TOOLS) expect(paths).toContain(t.path);
    expect(binaries.map((b) => b.name).sort()).toEqual(INSTALLER_TOOLS.map((t) => t.path).sort());
    const mkfs = entries.find((e) => e.path === "/usr/sbin/mkfs.ext4");
    expect(mkfs).toMatchObject({ type: "file", mode: 0o755, source: join(dir("e2fsprogs"), "sbin/mke2fs") });
    const grub = paths.filter((p) => p.startsWith("/usr/lib/grub/x86_64-efi/")).sort();
    expect(grub).toEqual([
      "/usr/lib/grub/x86_64-efi/kernel.img",
      "/usr/lib/grub/x86_64-efi/moddep.lst",
      "/usr/lib/grub/x86_64-efi/normal.mod",
      "/usr/lib/grub/x86_64-efi/part_gpt.mod",
    ]);
    expect(paths).toContain("/usr/lib/grub/i386-pc/kernel.img");
    expect(entries.find((e) => e.path === "/etc/mke2fs.conf")).toMatchObject({ type: "file", mode: 0o644 });
    // mcopy converts names through code page 850: glibc's converter and a gconv-modules naming it
    expect(paths).toContain(`${GCONV_DIR}/IBM850.so`);
    const modules = entries.find((e) => e.path === `${GCONV_DIR}/gconv-modules`);
    expect(modules !== undefined && "data" in modules && new TextDecoder().decode(modules.data)).toBe(
      GCONV_MODULES,
    );
    expect(GCONV_MODULES).toMatch(/^alias\tCP850\/\/\s+IBM850\/\/$/m);
    expect(GCONV_MODULES).toMatch(/^module\tINTERNAL\s+IBM850\/\/\s+IBM850\s+1$/m);
  });

  test("installerToolsTree names the package and file missing", () => {
    const dir = fakePackages();
    rmSync(join(dir("fdisk"), "sbin/sfdisk"));
    expect(() => installerToolsTree(dir)).toThrow(ImageError);
    expect(() => installerToolsTree(dir)).toThrow(/fdisk has no .*sbin\/sfdisk/);
  });
});

describe("installerToolRunner", () => {
  test("runs each tool from its rootfs path with its arguments and options", async () => {
    const calls: Array<{ argv: readonly string[]; input: string | undefined }> = [];
    const fake: RunTool = async (argv, options) => {
      calls.push({ argv, input: options?.input });
      return "out";
    };
    const run = installerToolRunner(() => {}, fake);
    expect(await run(["sfdisk", "--quiet", "/dev/vdb"], { input: "label: gpt\n" })).toBe("out");
    expect(calls).toEqual([{ argv: ["/usr/sbin/sfdisk", "--quiet", "/dev/vdb"], input: "label: gpt\n" }]);
  });

  test("sync calls the sync given; an unknown tool is an InstallerError naming it", async () => {
    let synced = 0;
    const run = installerToolRunner(
      () => synced++,
      async () => {
        throw new Error("must not run");
      },
    );
    expect(await run(["sync"])).toBe("");
    expect(synced).toBe(1);
    const err = await run(["debugfs", "-w"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstallerError);
    expect((err as InstallerError).code).toBe("ToolFailed");
    expect((err as InstallerError).message).toContain('"debugfs"');
  });
});
