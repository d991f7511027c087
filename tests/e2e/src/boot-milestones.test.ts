import { describe, expect, test } from "bun:test";
import { MilestoneWatcher, NODE_MILESTONES } from "./boot-milestones.ts";

describe("MilestoneWatcher", () => {
  test("stamps each milestone with the host time its line was first complete, and the kernel's time", () => {
    const w = new MilestoneWatcher(NODE_MILESTONES);
    w.feed("[    0.000000] Linux version 6.1.0 (debian)\r\n[    6.51", 10.5);
    expect(w.get("kernel")).toEqual({ host: 10.5, guest: 0 });
    expect(w.has("init")).toBe(false);
    w.feed("5990] Run /init as init process\r\n", 16.25);
    expect(w.get("init")).toEqual({ host: 16.25, guest: 6.51599 });
    w.feed("2026-11-27T03:00:00.000Z machined: starting (pid 1)\n", 20);
    expect(w.get("machined")).toEqual({ host: 20 });
  });

  test("keeps the first occurrence only", () => {
    const w = new MilestoneWatcher(NODE_MILESTONES);
    w.feed("x machined: service apid: Running\n", 1);
    w.feed("x machined: service apid: Running\n", 2);
    expect(w.get("apid")?.host).toBe(1);
  });

  test("does not take an incomplete line, nor another service's state", () => {
    const w = new MilestoneWatcher(NODE_MILESTONES);
    w.feed("machined: service containerd is up", 1);
    expect(w.has("containerd")).toBe(false);
    w.feed("\r\nmachined: service trustd: Running\n", 2);
    expect(w.get("containerd")).toEqual({ host: 2 });
    expect(w.has("apid")).toBe(false);
  });
});
