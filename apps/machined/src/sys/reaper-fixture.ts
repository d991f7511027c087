// Run by reaper-real.test.ts in its own bun process: becomes a child subreaper, so orphans of its
// children are re-parented to it as they would be to PID 1, and reports what the Reaper did.
import { existsSync, readFileSync } from "node:fs";
import { eventually } from "@bronze/testing";
import { ChildTracker } from "./child-tracker.ts";
import { LibcSys } from "./libc-sys.ts";
import { parseProcStat, type ReapedChild, Reaper } from "./reaper.ts";

const sys = new LibcSys();
sys.setChildSubreaper(true);
const tracker = new ChildTracker();
const reaped: ReapedChild[] = [];
const reaper = new Reaper({ sys, tracker, confirmDelayMs: 100, onReap: (c) => reaped.push(c) });
reaper.start();

// A service: tracked, its exit status must reach Bun.
const service = Bun.spawn(["sh", "-c", "sleep 0.3; exit 7"]);
tracker.trackUntil(service.pid, service.exited);
// A double fork: sh exits at once, its background sleep becomes our orphan.
const forker = Bun.spawn({ cmd: ["sh", "-c", "sleep 0.2 & echo $!; exit 0"], stdout: "pipe" });
tracker.trackUntil(forker.pid, forker.exited);
// Spawned through Bun but NOT registered: the confirm delay must still leave it to Bun.
const unregistered = Bun.spawn(["sh", "-c", "sleep 0.1; exit 5"]);

const orphan = Number((await new Response(forker.stdout).text()).trim());
const [forkerExit, serviceExit, unregisteredExit] = await Promise.all([
  forker.exited,
  service.exited,
  unregistered.exited,
]);

// Reported below either way: the test says what was (not) reaped.
await eventually("the orphan reaped", () => reaped.some((c) => c.pid === orphan), 5000, 20).catch(() => {});

const zombies: number[] = [];
for (const tid of Bun.spawnSync(["ls", `/proc/${process.pid}/task`])
  .stdout.toString()
  .split("\n")) {
  if (tid === "") continue;
  for (const p of readFileSync(`/proc/${process.pid}/task/${tid}/children`, "utf8").split(" ")) {
    if (p.trim() === "") continue;
    try {
      if (parseProcStat(readFileSync(`/proc/${p}/stat`, "utf8"))?.state === "Z") zombies.push(Number(p));
    } catch {}
  }
}
reaper.stop();
console.log(
  JSON.stringify({
    orphan,
    orphanExists: existsSync(`/proc/${orphan}`),
    reaped,
    forkerExit,
    serviceExit,
    unregisteredExit,
    zombies,
  }),
);
