import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { eventually } from "@bronze/testing";
import { ChildTracker } from "../../sys/child-tracker.ts";
import { createBunSpawn } from "./bun-spawn.ts";

const PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

describe("createBunSpawn", () => {
  test("exit code, env, tracking until collected", async () => {
    const tracker = new ChildTracker();
    const spawn = createBunSpawn({ tracker });
    const p = spawn({ cmd: ["sh", "-c", 'echo "$GREETING"; exit 4'], env: { PATH, GREETING: "hello" } });
    expect(tracker.has(p.pid)).toBe(true);
    const out = await new Response(p.stdout).text();
    expect(await p.exited).toEqual({ code: 4, signal: null });
    expect(out).toBe("hello\n");
    await Promise.resolve();
    expect(tracker.has(p.pid)).toBe(false);
  });

  test("the child leads its own session; signal() reaches its whole process group", async () => {
    const spawn = createBunSpawn();
    const p = spawn({ cmd: ["sh", "-c", "sleep 30 & echo $!; wait"], env: { PATH } });
    const reader = p.stdout?.getReader();
    const first = new TextDecoder().decode((await reader?.read())?.value);
    const sleeper = Number(first.trim());
    const stat = readFileSync(`/proc/${p.pid}/stat`, "utf8")
      .slice(readFileSync(`/proc/${p.pid}/stat`, "utf8").lastIndexOf(")") + 2)
      .split(" ");
    expect(Number(stat[3])).toBe(p.pid); // session id == its pid (setsid)
    expect(alive(sleeper)).toBe(true);
    p.signal("SIGTERM");
    expect(await p.exited).toEqual({ code: null, signal: "SIGTERM" });
    await eventually("the sleeper killed with its group", () => !alive(sleeper), 3000, 20);
    reader?.releaseLock();
  });

  test("a missing program throws at spawn", () => {
    expect(() => createBunSpawn()({ cmd: ["/nonexistent/program"], env: { PATH } })).toThrow();
  });
});
