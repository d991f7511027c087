import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { installProcessGuards } from "./process-guards.ts";

test("uncaught exceptions and unhandled rejections are logged, not fatal", () => {
  const target = new EventEmitter();
  const lines: string[] = [];
  installProcessGuards(target, (l) => lines.push(l));
  target.emit("uncaughtException", new Error("boom"));
  target.emit("unhandledRejection", "a string reason");
  expect(lines[0]).toStartWith("uncaught exception (machined keeps running): Error: boom");
  expect(lines[1]).toBe("unhandled rejection (machined keeps running): a string reason");
});

test("with the guards, a real process survives a thrown error and a rejected promise", async () => {
  const script = `
    import { installProcessGuards } from ${JSON.stringify(`${import.meta.dir}/process-guards.ts`)};
    installProcessGuards(process, (l) => console.log(l.split("\\n")[0]));
    setTimeout(() => { throw new Error("boom"); }, 5);
    setTimeout(() => { void Promise.reject(new Error("nope")); }, 10);
    setTimeout(() => console.log("still alive"), 40);
  `;
  const proc = Bun.spawn(["bun", "-e", script], { stdout: "pipe", stderr: "pipe" });
  expect(await proc.exited).toBe(0);
  expect((await new Response(proc.stdout).text()).trim().split("\n")).toEqual([
    "uncaught exception (machined keeps running): Error: boom",
    "unhandled rejection (machined keeps running): Error: nope",
    "still alive",
  ]);
});
