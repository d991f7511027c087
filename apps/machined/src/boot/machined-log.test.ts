import { expect, test } from "bun:test";
import { InProcessRunner } from "../supervisor/runners/in-process-runner.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { MachinedLog } from "./machined-log.ts";

const machinedService = () => ({
  id: "machined",
  dependsOn: [],
  restart: "forever" as const,
  runner: new InProcessRunner(async () => {}),
});

test("every line goes to the console; the lines from before the machined service exists reach its log once it does", () => {
  const console: string[] = [];
  const log = new MachinedLog(
    (l) => console.push(l),
    () => 0,
  );
  const supervisor = new Supervisor();
  log.line("starting");
  log.attach(supervisor);
  log.line("[boot] mountSystem: mounted tmpfs on /system");
  expect(console).toEqual(["starting", "[boot] mountSystem: mounted tmpfs on /system"]);
  supervisor.register(machinedService());
  log.line("boot finished");
  expect(
    supervisor
      .logs("machined")
      .tail()
      .map((l) => l.text),
  ).toEqual(["starting", "[boot] mountSystem: mounted tmpfs on /system", "boot finished"]);
});

test("a reported problem is an event of the machined service (osctl events); without a supervisor, a line", () => {
  const console: string[] = [];
  const log = new MachinedLog(
    (l) => console.push(l),
    () => 1234,
  );
  log.report("early problem");
  expect(console).toEqual(["early problem"]);
  const supervisor = new Supervisor();
  log.attach(supervisor);
  log.report("hostname x refused by the kernel: using bronze-525400123456");
  expect(supervisor.events.tail()).toEqual([
    {
      seq: 1,
      service: "machined",
      state: "Initialized",
      message: "hostname x refused by the kernel: using bronze-525400123456",
      time: 1234,
    },
  ]);
});

test("at most 2000 early lines are kept; the rest are counted", () => {
  const log = new MachinedLog(
    () => {},
    () => 0,
  );
  for (let i = 0; i < 2005; i++) log.line(`line ${i}`);
  const supervisor = new Supervisor();
  supervisor.register(machinedService());
  log.attach(supervisor);
  log.line("after");
  const texts = supervisor
    .logs("machined")
    .tail()
    .map((l) => l.text);
  expect(texts[0]).toBe("[5 early lines dropped]");
  expect(texts[1]).toBe("line 5");
  expect(texts.at(-1)).toBe("after");
});
