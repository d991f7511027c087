import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Controllers whose statistics and limits services' cgroups need (memory.current, cpu.stat, pids). */
export const SERVICE_CONTROLLERS = ["cpu", "memory", "pids"] as const;

function words(path: string): string[] {
  try {
    return readFileSync(path, "utf8").split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Creates `<hierarchy>/<group>` and enables `controllers` for its children, level by level (a
 * controller reaches a cgroup only when every ancestor delegates it). Controllers the kernel lacks are
 * left out; failures are returned as messages, never thrown (PID 1 goes on without statistics).
 */
export function enableServiceControllers(
  hierarchy: string,
  group: string,
  controllers: readonly string[] = SERVICE_CONTROLLERS,
  write: (path: string, text: string) => void = writeFileSync,
): string[] {
  const problems: string[] = [];
  const target = join(hierarchy, group);
  try {
    mkdirSync(target, { recursive: true });
  } catch (error) {
    return [`cannot create ${target}: ${(error as Error).message}`];
  }
  const levels = [hierarchy];
  for (const part of group.split("/").filter(Boolean)) levels.push(join(levels.at(-1) as string, part));
  for (const dir of levels) {
    const available = words(join(dir, "cgroup.controllers"));
    const enabled = words(join(dir, "cgroup.subtree_control"));
    for (const c of controllers) {
      if (!available.includes(c) || enabled.includes(c)) continue;
      try {
        write(join(dir, "cgroup.subtree_control"), `+${c}`);
      } catch (error) {
        problems.push(`cannot enable ${c} in ${dir}: ${(error as Error).message}`);
      }
    }
  }
  return problems;
}
