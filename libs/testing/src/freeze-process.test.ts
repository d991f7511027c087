import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { freezeProcess } from "./freeze-process.ts";

test("freezeProcess returns once the process is stopped; SIGCONT thaws it", async () => {
  const child = Bun.spawn(["sleep", "30"]);
  try {
    await freezeProcess(child.pid);
    const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
    expect(stat.slice(stat.lastIndexOf(")") + 2)[0]).toBe("T");
    process.kill(child.pid, "SIGCONT");
  } finally {
    child.kill("SIGKILL");
    await child.exited;
  }
});
