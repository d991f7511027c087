import { readElfDynamic } from "./elf-dynamic.ts";
import { ImageError } from "./image-error.ts";

/** How the resolver sees the library tree: find a soname's file, read a file. */
export interface LibraryLookup {
  /** The host path of the library with this soname (symlinks resolved), or undefined. */
  find(soname: string): string | undefined;
  read(hostPath: string): Uint8Array;
}

export interface ResolvedLibraries {
  /** soname => host path, sorted by soname. */
  readonly libraries: ReadonlyMap<string, string>;
  /** The program interpreters asked for (e.g. `/lib64/ld-linux-x86-64.so.2`), sorted. */
  readonly interpreters: readonly string[];
}

/**
 * Every shared library the given ELF files need, transitively (DT_NEEDED), found through `lookup`.
 * Throws ImageError(NotFound) naming the library and the file that needs it.
 */
export function resolveSharedLibraries(
  binaries: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>,
  lookup: LibraryLookup,
): ResolvedLibraries {
  const libraries = new Map<string, string>();
  const interpreters = new Set<string>();
  const queue: Array<{ soname: string; neededBy: string }> = [];
  for (const binary of binaries) {
    const info = readElfDynamic(binary.bytes, binary.name);
    if (info.interpreter) {
      interpreters.add(info.interpreter);
      // the interpreter is a library too (ld.so is not always in DT_NEEDED)
      queue.push({
        soname: info.interpreter.slice(info.interpreter.lastIndexOf("/") + 1),
        neededBy: binary.name,
      });
    }
    for (const soname of info.needed) queue.push({ soname, neededBy: binary.name });
  }
  while (queue.length > 0) {
    const { soname, neededBy } = queue.shift() as { soname: string; neededBy: string };
    if (libraries.has(soname)) continue;
    const path = lookup.find(soname);
    if (path === undefined)
      throw new ImageError("NotFound", `shared library ${soname} (needed by ${neededBy}) not found`);
    libraries.set(soname, path);
    const info = readElfDynamic(lookup.read(path), path);
    for (const next of info.needed) queue.push({ soname: next, neededBy: soname });
  }
  return {
    libraries: new Map([...libraries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    interpreters: [...interpreters].sort(),
  };
}
