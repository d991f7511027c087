// Which tier a test file is in, from its name alone (no list to keep): *.component.test.ts needs
// root, a real containerd, namespaces, cgroups, loop devices, mounts or a compiled binary;
// *.e2e.test.ts (and tests/e2e's top-level files) boots QEMU or a whole node; every other *.test.ts is
// a unit test: no root, no network, no containerd, seconds. `unitTestsNeedingMore` keeps the names
// honest: a unit test using one of the component fixtures below is misnamed.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export type Tier = "unit" | "components" | "e2e";

export function tierOf(path: string): Tier {
  if (path.endsWith(".component.test.ts")) return "components";
  if (path.endsWith(".e2e.test.ts")) return "e2e";
  // tests/e2e's own files (container-node, qemu-*); its src/ holds the unit tests of its helpers.
  if (/(^|\/)tests\/e2e\/[^/]+\.test\.ts$/.test(path)) return "e2e";
  return "unit";
}

/** What only a component test does, and how to recognise it in a test's source. */
export const COMPONENT_MARKERS: ReadonlyArray<{ readonly why: string; readonly pattern: RegExp }> = [
  { why: "starts a containerd", pattern: /\b(startTestContainerd|useContainerd)\(/ },
  { why: "compiles the node binary", pattern: /\btestNodeBinary\(/ },
  { why: "makes a network namespace", pattern: /\bcreateNetns\(/ },
  { why: "makes real system calls (mounts, loop devices)", pattern: /\bnew LibcSys\(/ },
  {
    why: "runs a privileged tool",
    pattern:
      /\b(spawn(Sync)?\(\s*\[|execFile(Sync)?\()\s*"(mount|umount|losetup|unshare|nsenter|sfdisk)"|\bmountTmpfs\(/,
  },
];

const SKIP = new Set(["node_modules", "dist", "_out", ".git", ".turbo"]);

/** Every *.test.ts under `root`, relative to it. */
export function testFiles(root: string, dir = root): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFiles(root, path));
    else if (entry.name.endsWith(".test.ts")) found.push(relative(root, path));
  }
  return found.sort();
}

/** Unit test files (by name) whose source does what only a component test should, with why. */
export function unitTestsNeedingMore(
  root: string,
  read = (p: string) => readFileSync(join(root, p), "utf8"),
) {
  return testFiles(root)
    .filter((file) => tierOf(file) === "unit")
    .flatMap((file) => {
      const source = read(file);
      const why = COMPONENT_MARKERS.filter((m) => m.pattern.test(source)).map((m) => m.why);
      return why.length > 0 ? [{ file, why }] : [];
    });
}
