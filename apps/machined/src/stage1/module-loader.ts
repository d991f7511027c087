import { join } from "node:path";
import { MODULE_INIT_COMPRESSED_FILE } from "../sys/constants.ts";
import type { Sys } from "../sys/sys.ts";
import { SysError } from "../sys/sys-error.ts";
import { ModuleError, type ModuleRequest, resolveModuleOrder } from "./modules.ts";

/** The file operations module loading needs (injected). */
export interface ModuleFs {
  /** The file's text, or undefined when it does not exist. */
  readText(path: string): string | undefined;
  openRead(path: string): number;
  close(fd: number): void;
}

export interface LoadModulesOptions {
  readonly sys: Pick<Sys, "finitModule">;
  readonly fs: ModuleFs;
  /** `/lib/modules/<release>`. */
  readonly moduleDir: string;
  readonly requests: readonly ModuleRequest[];
  readonly log: (line: string) => void;
}

export interface LoadModulesResult {
  readonly loaded: readonly string[];
  readonly alreadyLoaded: readonly string[];
  readonly builtin: readonly string[];
}

/**
 * Loads modules and their dependencies (from modules.dep, dependencies first) with finit_module;
 * compressed modules are handed to the kernel to decompress. A module already loaded is fine; the first
 * other failure throws a ModuleError naming the module.
 */
export function loadModules(options: LoadModulesOptions): LoadModulesResult {
  const { sys, fs, moduleDir, log } = options;
  const depPath = join(moduleDir, "modules.dep");
  const depText = fs.readText(depPath);
  if (depText === undefined) throw new ModuleError("MissingModulesDep", `${depPath} is missing`);
  const { loads, builtin } = resolveModuleOrder(
    options.requests,
    depText,
    fs.readText(join(moduleDir, "modules.builtin")) ?? "",
  );
  for (const name of builtin) log(`module ${name} is built into the kernel`);
  const loaded: string[] = [];
  const alreadyLoaded: string[] = [];
  for (const m of loads) {
    let fd: number;
    try {
      fd = fs.openRead(join(moduleDir, m.path));
    } catch (err) {
      throw new ModuleError(
        "LoadFailed",
        `loading module ${m.name}: cannot open ${m.path}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    try {
      const flags = /\.ko\.(xz|zst|gz)$/.test(m.path) ? MODULE_INIT_COMPRESSED_FILE : 0;
      sys.finitModule(fd, m.params, flags);
      loaded.push(m.name);
      log(`loaded module ${m.name}${m.params === "" ? "" : ` (${m.params})`}`);
    } catch (err) {
      if (!(err instanceof SysError && err.code === "EEXIST")) {
        throw new ModuleError(
          "LoadFailed",
          `loading module ${m.name} (${m.path}): ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      alreadyLoaded.push(m.name);
      log(`module ${m.name} was already loaded`);
    } finally {
      fs.close(fd);
    }
  }
  return { loaded, alreadyLoaded, builtin };
}
