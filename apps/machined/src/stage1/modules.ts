/**
 * Which kernel modules stage 1 loads, and in what order: a list file (one module per line, optional
 * parameters after the name, `#` comments) resolved against the kernel's modules.dep so that every
 * module comes after its dependencies. The resolving is @bronze/image's (the one the image build uses
 * to pick the initramfs's modules); its errors become ModuleErrors here.
 */
import { moduleName, parseModulesBuiltin, parseModulesDep, resolveModules } from "@bronze/image/module-deps";

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

/**
 * The loads for `requests` given the texts of modules.dep and modules.builtin: dependencies first (in
 * modprobe's order), each module once, with its parameters. A module built into the kernel is skipped
 * (returned in `builtin`); one found nowhere is an UnknownModule error naming it, a malformed or cyclic
 * modules.dep a BadModulesDep error.
 */
export function resolveModuleOrder(
  requests: readonly ModuleRequest[],
  modulesDep: string,
  modulesBuiltin = "",
): { loads: ModuleLoad[]; builtin: string[] } {
  let resolved: { load: readonly string[]; builtin: readonly string[] };
  try {
    resolved = resolveModules(
      parseModulesDep(modulesDep),
      requests.map((r) => r.name),
      parseModulesBuiltin(modulesBuiltin),
    );
  } catch (err) {
    // @bronze/image's errors are ImageErrors with a code: NotFound, ParseError, DependencyCycle.
    const code = (err as { code?: unknown }).code === "NotFound" ? "UnknownModule" : "BadModulesDep";
    throw new ModuleError(code, (err as Error).message, { cause: err });
  }
  const params = new Map(requests.map((r) => [r.name, r.params]));
  const loads = resolved.load.map((path) => {
    const name = moduleName(path);
    return { name, path, params: params.get(name) ?? "" };
  });
  return { loads, builtin: [...resolved.builtin] };
}
