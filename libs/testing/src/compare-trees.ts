// Shared by the generated-code staleness checks (scripts/check-generated.ts) of libs/api and
// libs/containerd-client.
// Lists the files that differ between two directory trees (missing on either side, or different bytes).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
      .sort();
  } catch {
    return [];
  }
}

export function compareTrees(expectedDir: string, actualDir: string): string[] {
  const expected = new Set(listFiles(expectedDir));
  const actual = new Set(listFiles(actualDir));
  const differences: string[] = [];
  for (const file of expected) {
    if (!actual.has(file)) differences.push(`missing: ${file}`);
    else if (!readFileSync(join(expectedDir, file)).equals(readFileSync(join(actualDir, file))))
      differences.push(`differs: ${file}`);
  }
  for (const file of actual) if (!expected.has(file)) differences.push(`unexpected: ${file}`);
  return differences;
}
