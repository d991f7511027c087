/**
 * Test helper (not used by machined): throwaway network namespaces on the real kernel, and running a
 * script inside one with `ip netns exec`. Only ever touches namespaces it created.
 */
import { spawnSync } from "node:child_process";

export interface Netns {
  readonly name: string;
  /** Runs a command inside the namespace; throws with its stderr when it fails. */
  run(args: readonly string[]): string;
  /** `ip -j <args>` inside the namespace, parsed. */
  ipJson<T = unknown>(args: readonly string[]): T;
  /** Runs `bun <script> <json>` inside the namespace and parses the last stdout line as JSON. */
  bun<T = unknown>(script: string, input: unknown, timeoutMs?: number): T;
  remove(): void;
}

function check(cmd: string, args: readonly string[], timeoutMs = 20_000): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: timeoutMs });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

export function createNetns(prefix: string): Netns {
  const name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  check("ip", ["netns", "add", name]);
  const run = (args: readonly string[], timeoutMs?: number) =>
    check("ip", ["netns", "exec", name, ...args], timeoutMs);
  return {
    name,
    run: (args) => run(args),
    ipJson: <T>(args: readonly string[]) => JSON.parse(run(["ip", "-j", ...args]) || "null") as T,
    bun: <T>(script: string, input: unknown, timeoutMs = 20_000) => {
      const out = run([process.execPath, script, JSON.stringify(input)], timeoutMs)
        .trim()
        .split("\n");
      return JSON.parse(out[out.length - 1] ?? "null") as T;
    },
    remove: () => {
      spawnSync("ip", ["netns", "del", name]);
    },
  };
}
