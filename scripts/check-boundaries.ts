// Checks that the repository's layering stays what docs/design.md §6 says (run by `bun run verify`):
//   - apps import libs, never each other, except machined's entry point (apps/machined/src/main.ts, the
//     multi-call dispatcher) importing apid's and trustd's main;
//   - libs (libs/*, image) never import apps;
//   - no file imports another package's internals by relative path ("../../../libs/x/src/y.ts"): only
//     through the package's name and what its package.json exports ("@bronze/x", "@bronze/x/testing");
//   - a package imports only the @bronze packages its package.json declares;
//   - test support (@bronze/testing, "./testing" exports) is imported only by tests, their fixtures and
//     helpers, benches and packages' scripts/ (build and check tooling), never by product code;
//   - no import loop goes through `import()` (dynamic, or in a type: `typeof import("./x.ts")`), which
//     Biome's noImportCycles does not see; it checks every other loop.
// Every import counts, type-only ones included. Usage: bun scripts/check-boundaries.ts [repo root].
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import ts from "typescript";

export type PackageKind = "app" | "lib" | "tests" | "root";

export interface WorkspacePackage {
  readonly name: string;
  /** Relative to the repository root, "/"-separated; "" for the root package. */
  readonly dir: string;
  readonly kind: PackageKind;
  /** Export subpaths (".", "./testing") and the files they point at (repo-relative). */
  readonly exports: ReadonlyMap<string, string>;
  /** Every package named in dependencies, devDependencies and peerDependencies. */
  readonly dependencies: ReadonlySet<string>;
}

export type ImportKind = "static" | "dynamic" | "type-import" | "require";

export interface ImportRef {
  readonly specifier: string;
  readonly line: number;
  readonly kind: ImportKind;
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** The one exception to "apps never import each other": the dispatcher starts apid and trustd. */
export const ALLOWED_APP_IMPORTS: ReadonlyMap<string, readonly string[]> = new Map([
  ["apps/machined/src/main.ts", ["apps/apid/src/main.ts", "apps/trustd/src/main.ts"]],
]);

/**
 * Loops through `import()` known and being fixed elsewhere, each as its files in order. Reported as a note
 * (not a failure) while present; remove an entry once its loop is gone.
 */
export const KNOWN_CYCLES: readonly (readonly string[])[] = [];

const SOURCE = /\.(ts|tsx|mts|cts)$/;
const DEV_CODE =
  /(\.test\.tsx?$|\.bench\.ts$|-fixture\.ts$|(^|\/)(test|tests|testing|bench|testdata|scripts)\/)/;

/** Not product code: tests, their fixtures and helpers, benches, scripts/, and the tests/ packages. */
export function isDevCode(file: string, pkg: WorkspacePackage): boolean {
  return pkg.kind === "tests" || pkg.kind === "root" || DEV_CODE.test(file);
}

function kindOf(dir: string): PackageKind {
  if (dir === "") return "root";
  if (dir.startsWith("apps/")) return "app";
  if (dir === "tests" || dir.startsWith("tests/")) return "tests";
  return "lib";
}

/** The root package and its workspaces (package.json `workspaces`: "dir" or "dir/*"). */
export function readPackages(root: string): WorkspacePackage[] {
  const rootJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  const dirs = [""];
  for (const pattern of rootJson.workspaces ?? []) {
    if (pattern.endsWith("/*")) {
      const parent = pattern.slice(0, -2);
      for (const entry of readdirSync(join(root, parent)).sort()) {
        if (existsSync(join(root, parent, entry, "package.json"))) dirs.push(`${parent}/${entry}`);
      }
    } else if (existsSync(join(root, pattern, "package.json"))) dirs.push(pattern);
  }
  return dirs.map((dir) => {
    const json = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as {
      name: string;
      exports?: string | Record<string, string>;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const exportsField = typeof json.exports === "string" ? { ".": json.exports } : (json.exports ?? {});
    const exports = new Map(
      Object.entries(exportsField).map(([sub, target]) => [sub, normalize(join(dir, target))] as const),
    );
    const dependencies = new Set([
      ...Object.keys(json.dependencies ?? {}),
      ...Object.keys(json.devDependencies ?? {}),
      ...Object.keys(json.peerDependencies ?? {}),
    ]);
    return { name: json.name, dir, kind: kindOf(dir), exports, dependencies };
  });
}

/** Every import of a file: static, `import()` (dynamic or in a type), require; type-only ones included. */
export function findImports(text: string): ImportRef[] {
  const info = ts.preProcessFile(text, true, true);
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const lineOf = (pos: number) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((lineStarts[mid] as number) <= pos) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  return info.importedFiles.map((ref) => {
    // `pos` is the opening quote's offset; the closing quote follows the name.
    const before = text.slice(Math.max(0, ref.pos - 40), ref.pos);
    const after = text.slice(ref.pos + 1 + ref.fileName.length, ref.pos + ref.fileName.length + 8);
    let kind: ImportKind = "static";
    if (/\brequire\s*\(\s*$/.test(before)) kind = "require";
    else if (/\bimport\s*\(\s*$/.test(before)) {
      // `typeof import("x")` or `import("x").Name`: a type; otherwise a dynamic import.
      kind =
        /\btypeof\s+import\s*\(\s*$/.test(before) || /^["'`]\s*\)\s*\./.test(after)
          ? "type-import"
          : "dynamic";
    }
    return { specifier: ref.fileName, line: lineOf(ref.pos), kind };
  });
}

/** The package a repo-relative path belongs to: the one with the longest matching directory. */
function owner(packages: readonly WorkspacePackage[], file: string): WorkspacePackage {
  let best: WorkspacePackage | undefined;
  for (const p of packages) {
    if (
      (p.dir === "" || file === p.dir || file.startsWith(`${p.dir}/`)) &&
      (best === undefined || p.dir.length > best.dir.length)
    ) {
      best = p;
    }
  }
  if (best === undefined) throw new Error(`no package owns ${file} (is there a root package.json?)`);
  return best;
}

function describeExports(pkg: WorkspacePackage): string {
  const subs = [...pkg.exports.keys()].map((s) => (s === "." ? pkg.name : `${pkg.name}/${s.slice(2)}`));
  return subs.length === 0 ? `${pkg.name} exports nothing` : `its exports: ${subs.join(", ")}`;
}

/** A bare specifier's package name and export subpath ("@bronze/x/testing" => "@bronze/x", "./testing"). */
function splitBare(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split("/");
  const take = specifier.startsWith("@") ? 2 : 1;
  const rest = parts.slice(take).join("/");
  return { name: parts.slice(0, take).join("/"), subpath: rest === "" ? "." : `./${rest}` };
}

/** The file an import resolves to inside the repository, or undefined (outside it, or not a file). */
function resolveImport(
  root: string,
  byName: ReadonlyMap<string, WorkspacePackage>,
  from: string,
  specifier: string,
): string | undefined {
  if (specifier.startsWith(".")) {
    const target = normalize(join(dirname(from), specifier));
    for (const candidate of [target, `${target}.ts`, `${target}/index.ts`]) {
      const full = join(root, candidate);
      if (existsSync(full) && statSync(full).isFile()) return candidate;
    }
    return target;
  }
  const { name, subpath } = splitBare(specifier);
  const pkg = byName.get(name);
  return pkg?.exports.get(subpath);
}

export interface CheckInput {
  readonly root: string;
  readonly packages: readonly WorkspacePackage[];
  /** Repo-relative source files. */
  readonly files: readonly string[];
  readonly read: (file: string) => string;
}

export interface CheckResult {
  readonly violations: Violation[];
  /** KNOWN_CYCLES entries still present, and those no longer found (to remove). */
  readonly notes: string[];
}

export function checkBoundaries(input: CheckInput, knownCycles = KNOWN_CYCLES): CheckResult {
  const { root, packages, files } = input;
  const byName = new Map(packages.map((p) => [p.name, p]));
  const violations: Violation[] = [];
  /** file -> imported file -> the kinds of the edge. */
  const graph = new Map<string, Map<string, Set<ImportKind>>>();
  /** "from\0to" -> the line of its import() (where a loop through it is reported). */
  const importCallLines = new Map<string, number>();

  for (const file of files) {
    const pkg = owner(packages, file);
    const edges = new Map<string, Set<ImportKind>>();
    graph.set(file, edges);
    for (const ref of findImports(input.read(file))) {
      const v = (message: string) => violations.push({ file, line: ref.line, message });
      const target = resolveImport(root, byName, file, ref.specifier);
      if (target !== undefined) {
        const kinds = edges.get(target) ?? new Set<ImportKind>();
        kinds.add(ref.kind);
        edges.set(target, kinds);
        if (ref.kind === "dynamic" || ref.kind === "type-import")
          importCallLines.set(`${file}\0${target}`, ref.line);
      }

      if (ref.specifier.startsWith(".")) {
        const resolved = target as string;
        if (resolved.startsWith("..")) {
          v(`imports ${JSON.stringify(ref.specifier)}, which is outside the repository`);
          continue;
        }
        const other = owner(packages, resolved);
        if (other === pkg) continue;
        if (ALLOWED_APP_IMPORTS.get(file)?.includes(resolved)) continue;
        const where = other.dir === "" ? "the repository root's" : `${other.name}'s (${other.dir})`;
        const how =
          other.kind === "root"
            ? "move what it needs into a lib"
            : other.exports.size === 0
              ? `${other.name} exports nothing`
              : `import it through ${describeExports(other)}`;
        v(`imports ${JSON.stringify(ref.specifier)}: ${where} internals by relative path; ${how}`);
        if (pkg.kind === "lib" && other.kind === "app") v(`a lib imports an app (${other.dir})`);
        if (pkg.kind === "app" && other.kind === "app") v(`an app imports another app (${other.dir})`);
        continue;
      }

      const { name, subpath } = splitBare(ref.specifier);
      const other = byName.get(name);
      if (other === undefined || other === pkg) continue; // npm packages, node: and bun: modules
      if (pkg.kind === "lib" && other.kind === "app") {
        v(`a lib imports an app (${ref.specifier})`);
        continue;
      }
      if (pkg.kind === "app" && other.kind === "app") {
        const allowed = target !== undefined && ALLOWED_APP_IMPORTS.get(file)?.includes(target);
        if (!allowed) {
          v(`an app imports another app (${ref.specifier})`);
          continue;
        }
      }
      if (!other.exports.has(subpath)) {
        v(
          `imports ${JSON.stringify(ref.specifier)}, which ${name} does not export (${describeExports(other)})`,
        );
        continue;
      }
      if (!pkg.dependencies.has(name)) {
        v(`imports ${name}, which ${pkg.dir === "" ? "the root" : pkg.dir}/package.json does not declare`);
      }
      const testSupport =
        name === "@bronze/testing" || subpath === "./testing" || subpath.startsWith("./testing/");
      if (testSupport && !isDevCode(file, pkg)) {
        v(
          `product code imports test support (${ref.specifier}); only tests, fixtures, benches and scripts may`,
        );
      }
    }
  }

  const notes: string[] = [];
  const known = new Set(knownCycles.map((c) => [...c].sort().join(" ")));
  const seen = new Set<string>();
  for (const cycle of importLoopsThroughImportCalls(graph)) {
    const key = [...cycle].sort().join(" ");
    seen.add(key);
    const text = [...cycle, cycle[0]].join(" -> ");
    if (known.has(key)) notes.push(`known import loop, being fixed (KNOWN_CYCLES): ${text}`);
    else {
      violations.push({
        file: cycle[0] as string,
        line: importCallLines.get(`${cycle[0]}\0${cycle[1]}`) ?? 0,
        message: `import loop through import() (dynamic or typeof import, unseen by Biome): ${text}`,
      });
    }
  }
  for (const cycle of knownCycles) {
    if (!seen.has([...cycle].sort().join(" "))) {
      notes.push(`KNOWN_CYCLES lists a loop that is gone; remove it: ${cycle.join(" -> ")}`);
    }
  }
  return { violations, notes };
}

/**
 * The import loops that need an `import()` edge (dynamic or a type): for each strongly connected component
 * of the whole graph with such an edge inside it, one loop starting with that edge (then the shortest
 * path back).
 */
export function importLoopsThroughImportCalls(
  graph: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<ImportKind>>>,
): string[][] {
  const loops: string[][] = [];
  for (const component of stronglyConnected(graph)) {
    const inside = new Set(component);
    let found: string[] | undefined;
    for (const from of component) {
      for (const [to, kinds] of graph.get(from) ?? []) {
        if (found !== undefined || !inside.has(to)) continue;
        if (!kinds.has("dynamic") && !kinds.has("type-import")) continue;
        const back = shortestPath(graph, inside, to, from);
        if (back !== undefined) found = [from, ...back.slice(0, -1)];
      }
    }
    if (found !== undefined) loops.push(found);
  }
  return loops;
}

function shortestPath(
  graph: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<ImportKind>>>,
  within: ReadonlySet<string>,
  from: string,
  to: string,
): string[] | undefined {
  const previous = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length > 0) {
    const at = queue.shift() as string;
    if (at === to) {
      const path = [to];
      for (let p = to; p !== from; p = previous.get(p) as string) path.unshift(previous.get(p) as string);
      return path;
    }
    for (const next of graph.get(at)?.keys() ?? []) {
      if (within.has(next) && !previous.has(next)) {
        previous.set(next, at);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** Tarjan's algorithm; components of one file without a self-import are left out. */
function stronglyConnected(graph: ReadonlyMap<string, ReadonlyMap<string, unknown>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next))
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.has(node)) components.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components;
}

/** The repository's source files (tracked and new, not ignored), repo-relative, without node_modules. */
export function listSourceFiles(root: string): string[] {
  const out = Bun.spawnSync(["git", "ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root });
  if (out.exitCode !== 0) throw new Error(`git ls-files failed: ${out.stderr.toString()}`);
  return out.stdout
    .toString()
    .split("\n")
    .filter(
      (f) =>
        SOURCE.test(f) && !f.endsWith(".d.ts") && !f.includes("node_modules/") && existsSync(join(root, f)),
    )
    .sort();
}

if (import.meta.main) {
  const root = process.argv[2] ?? join(import.meta.dir, "..");
  const files = listSourceFiles(root);
  const { violations, notes } = checkBoundaries({
    root,
    packages: readPackages(root),
    files,
    read: (file) => readFileSync(join(root, file), "utf8"),
  });
  for (const note of notes) console.log(`note: ${note}`);
  for (const v of violations) console.error(`${v.file}${v.line > 0 ? `:${v.line}` : ""}: ${v.message}`);
  if (violations.length > 0) {
    console.error(
      `check-boundaries: ${violations.length} violation(s) in ${relative(process.cwd(), root) || "."}`,
    );
    process.exit(1);
  }
  console.log(`check-boundaries: ${files.length} files, no violation`);
}
