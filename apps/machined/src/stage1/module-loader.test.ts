import { describe, expect, test } from "bun:test";
import { MODULE_INIT_COMPRESSED_FILE } from "../sys/constants.ts";
import { FakeSys } from "../testing/fake-sys.ts";
import { loadModules, type ModuleFs } from "./module-loader.ts";
import { ModuleError } from "./modules.ts";

const DIR = "/lib/modules/6.1.0";

function fs(files: Record<string, string>) {
  const open = new Set<number>();
  const paths: string[] = [];
  const modFs: ModuleFs = {
    readText: (path) => files[path],
    openRead(path) {
      if (!(path in files)) throw new Error(`ENOENT ${path}`);
      paths.push(path);
      open.add(paths.length);
      return paths.length;
    },
    close: (fd) => void open.delete(fd),
  };
  return { modFs, open, paths };
}

const FILES = {
  [`${DIR}/modules.dep`]: "kernel/a.ko.zst: kernel/b.ko\nkernel/b.ko:\n",
  [`${DIR}/modules.builtin`]: "kernel/fs/ext4/ext4.ko\n",
  [`${DIR}/kernel/a.ko.zst`]: "",
  [`${DIR}/kernel/b.ko`]: "",
};

describe("loadModules", () => {
  test("dependencies first, compressed modules flagged, parameters passed, builtins skipped", () => {
    const sys = new FakeSys();
    const { modFs, open } = fs(FILES);
    const lines: string[] = [];
    const result = loadModules({
      sys,
      fs: modFs,
      moduleDir: DIR,
      requests: [
        { name: "a", params: "x=1" },
        { name: "ext4", params: "" },
      ],
      log: (l) => lines.push(l),
    });
    expect(sys.callsOf("finitModule")).toEqual([
      [1, "", 0],
      [2, "x=1", MODULE_INIT_COMPRESSED_FILE],
    ]);
    expect(result).toEqual({ loaded: ["b", "a"], alreadyLoaded: [], builtin: ["ext4"] });
    expect(lines).toContain("loaded module a (x=1)");
    expect(open.size).toBe(0);
  });

  test("EEXIST means already loaded; other errors name the module; missing files too", () => {
    const sys = new FakeSys().failNext("finitModule", "EEXIST");
    const { modFs } = fs(FILES);
    const ok = loadModules({
      sys,
      fs: modFs,
      moduleDir: DIR,
      requests: [{ name: "a", params: "" }],
      log: () => {},
    });
    expect(ok.alreadyLoaded).toEqual(["b"]);
    expect(ok.loaded).toEqual(["a"]);

    const failing = new FakeSys().failNext("finitModule", "ENOEXEC");
    const err = (() => {
      try {
        loadModules({
          sys: failing,
          fs: fs(FILES).modFs,
          moduleDir: DIR,
          requests: [{ name: "a", params: "" }],
          log: () => {},
        });
      } catch (e) {
        return e as ModuleError;
      }
    })();
    expect(err).toBeInstanceOf(ModuleError);
    expect(err?.code).toBe("LoadFailed");
    expect(err?.message).toContain("loading module b (kernel/b.ko)");

    const { [`${DIR}/kernel/b.ko`]: _, ...withoutB } = FILES;
    expect(() =>
      loadModules({
        sys: new FakeSys(),
        fs: fs(withoutB).modFs,
        moduleDir: DIR,
        requests: [{ name: "a", params: "" }],
        log: () => {},
      }),
    ).toThrow("loading module b: cannot open kernel/b.ko");
    expect(() =>
      loadModules({ sys: new FakeSys(), fs: fs({}).modFs, moduleDir: DIR, requests: [], log: () => {} }),
    ).toThrow(`${DIR}/modules.dep is missing`);
  });
});
