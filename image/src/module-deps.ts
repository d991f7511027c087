// Kernel modules: modules.dep and modules.builtin parsed, and the modules a list asks for resolved
// into load order. The one resolver: the image build picks the initramfs's modules with it, and
// machined's stage 1 loads them with it (through the "@bronze/image/module-deps" export, which
// loads this file alone, not the installer behind "@bronze/image").
import { ImageError } from "./image-error.ts";

/** modules.dep as a map from a module's path (relative to /lib/modules/<abi>) to its dependencies' paths. */
export type ModulesDep = ReadonlyMap<string, readonly string[]>;

/** The module name of a path: `kernel/drivers/net/virtio_net.ko.xz` => `virtio_net` ('-' becomes '_'). */
export function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.replace(/\.ko(\.(xz|gz|zst))?$/, "").replaceAll("-", "_");
}

/** Parses depmod's modules.dep ("path: dep dep ..." per line). `source` names the file in errors. */
export function parseModulesDep(text: string, source = "modules.dep"): ModulesDep {
  const out = new Map<string, string[]>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon <= 0)
      throw new ImageError(
        "ParseError",
        `${source}:${i + 1}: expected "module.ko: deps...", got ${JSON.stringify(raw)}`,
      );
    const path = line.slice(0, colon).trim();
    const deps = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter((d) => d !== "");
    if (out.has(path)) throw new ImageError("ParseError", `${source}:${i + 1}: ${path} listed twice`);
    out.set(path, deps);
  });
  return out;
}

/** Names of built-in modules from modules.builtin (one path a line). */
export function parseModulesBuiltin(text: string): Set<string> {
  return new Set(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .map(moduleName),
  );
}

export interface ResolvedModules {
  /** Module paths, every module after all of its dependencies: load them in this order. */
  readonly load: readonly string[];
  /** Requested names that are built into the kernel (nothing to load). */
  readonly builtin: readonly string[];
}

/**
 * The requested modules and everything they depend on, in load order, each once: requests in the
 * given order, and each module's dependencies in modprobe's order (modules.dep lists the whole
 * closure; modprobe loads it from the end of the list). Names may use '-' for '_'. Throws NotFound
 * for a name that is neither a module nor built in, DependencyCycle on a cycle, ParseError for a
 * dependency that modules.dep does not list itself.
 */
export function resolveModules(
  dep: ModulesDep,
  names: readonly string[],
  builtin: ReadonlySet<string> = new Set(),
): ResolvedModules {
  const byName = new Map<string, string>();
  for (const path of dep.keys()) byName.set(moduleName(path), path);
  const load: string[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const builtinHit: string[] = [];

  const visit = (path: string, chain: readonly string[]) => {
    if (done.has(path)) return;
    if (visiting.has(path)) {
      throw new ImageError(
        "DependencyCycle",
        `module dependency cycle: ${[...chain, moduleName(path)].join(" -> ")}`,
      );
    }
    const deps = dep.get(path);
    if (deps === undefined) {
      throw new ImageError(
        "ParseError",
        `modules.dep: ${chain.at(-1)} depends on ${path}, which it does not list`,
      );
    }
    visiting.add(path);
    for (const d of [...deps].reverse()) visit(d, [...chain, moduleName(path)]);
    visiting.delete(path);
    done.add(path);
    load.push(path);
  };

  for (const requested of names) {
    const name = requested.replaceAll("-", "_");
    const path = byName.get(name);
    if (path !== undefined) visit(path, []);
    else if (builtin.has(name)) {
      if (!builtinHit.includes(name)) builtinHit.push(name);
    } else
      throw new ImageError("NotFound", `kernel module ${requested} is neither in modules.dep nor built in`);
  }
  return { load, builtin: builtinHit };
}

/** modules.dep restricted to the given modules (what the initramfs ships), in load order. */
export function formatModulesDep(dep: ModulesDep, paths: readonly string[]): string {
  return paths.map((p) => `${p}:${(dep.get(p) ?? []).map((d) => ` ${d}`).join("")}\n`).join("");
}
