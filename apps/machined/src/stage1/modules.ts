/**
 * Which kernel modules stage 1 loads, and in what order: a list file (one module per line, optional
 * parameters after the name, `#` comments) resolved against the kernel's modules.dep so that every
 * module comes after its dependencies.
 */

export interface ModuleRequest {
  readonly name: string;
  readonly params: string;
}

export interface ModuleLoad {
  readonly name: string;
  /** Path relative to the kernel's module directory, as in modules.dep. */
  readonly path: string;
  readonly params: string;
}

export type ModuleErrorCode =
  | "UnknownModule"
  | "BadModulesDep"
  | "BadModuleList"
  | "MissingModulesDep"
  | "LoadFailed";

export class ModuleError extends Error {
  override readonly name = "ModuleError";
  constructor(
    readonly code: ModuleErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `kernel/fs/squashfs/squashfs.ko.xz` -> `squashfs`; dashes count as underscores, as in the kernel. */
export function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, "").replaceAll("-", "_");
}

/** Parses the module list file. */
export function parseModuleList(text: string, file = "modules list"): ModuleRequest[] {
  const requests: ModuleRequest[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    const [name, ...params] = line.split(/\s+/);
    if (name === undefined || !/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new ModuleError(
        "BadModuleList",
        `${file}:${i + 1}: ${JSON.stringify(raw)} does not start with a module name`,
      );
    }
    requests.push({ name: name.replaceAll("-", "_"), params: params.join(" ") });
  });
  return requests;
}

/** Parses modules.dep: module path -> the paths of its dependencies. */
export function parseModulesDep(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new ModuleError("BadModulesDep", `modules.dep:${i + 1}: no "module:" at the start`);
    const path = line.slice(0, colon).trim();
    const rest = line.slice(colon + 1).trim();
    deps.set(path, rest === "" ? [] : rest.split(/\s+/));
  });
  return deps;
}

/**
 * The loads for `requests`, dependencies first, each module once. A module built into the kernel
 * (listed in modules.builtin) is skipped; one found nowhere is an error naming it.
 */
export function resolveModuleOrder(
  requests: readonly ModuleRequest[],
  modulesDep: ReadonlyMap<string, readonly string[]>,
  builtin: ReadonlySet<string> = new Set(),
): { loads: ModuleLoad[]; builtin: string[] } {
  const byName = new Map<string, string>();
  for (const path of modulesDep.keys()) byName.set(moduleName(path), path);
  const loads: ModuleLoad[] = [];
  const skipped: string[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const params = new Map(requests.map((r) => [r.name, r.params]));

  const visit = (path: string, chain: string[]) => {
    if (done.has(path)) return;
    if (visiting.has(path)) {
      throw new ModuleError(
        "BadModulesDep",
        `modules.dep has a dependency cycle: ${[...chain, path].join(" -> ")}`,
      );
    }
    visiting.add(path);
    const deps = modulesDep.get(path);
    if (deps === undefined) {
      throw new ModuleError(
        "BadModulesDep",
        `modules.dep lists ${path} as a dependency but has no entry for it`,
      );
    }
    // modules.dep lists every transitive dependency; modprobe loads them from the end of the list.
    for (const dep of [...deps].reverse()) visit(dep, [...chain, path]);
    visiting.delete(path);
    done.add(path);
    const name = moduleName(path);
    loads.push({ name, path, params: params.get(name) ?? "" });
  };

  for (const r of requests) {
    const path = byName.get(r.name);
    if (path === undefined) {
      if (builtin.has(r.name)) {
        skipped.push(r.name);
        continue;
      }
      throw new ModuleError(
        "UnknownModule",
        `module ${r.name} is neither in modules.dep nor built into the kernel`,
      );
    }
    visit(path, []);
  }
  return { loads, builtin: skipped };
}

/** Parses modules.builtin (paths) into module names. */
export function parseModulesBuiltin(text: string): Set<string> {
  return new Set(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .map(moduleName),
  );
}
