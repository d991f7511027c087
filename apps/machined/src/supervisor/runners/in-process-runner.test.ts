import { describe, expect, test } from "bun:test";
import { FakeClock, settle } from "../../testing/fake-clock.ts";
import type { LogSink, LogStream } from "../service.ts";
import { InProcessRunner } from "./in-process-runner.ts";

function sink() {
  const lines: Array<[LogStream, string]> = [];
  const log: LogSink = { line: (s, t) => lines.push([s, t]) };
  return { lines, log };
}

describe("InProcessRunner", () => {
  test("resolving is exit 0, a number is the exit code, log lines reach the sink", async () => {
    const { lines, log } = sink();
    const ok = await new InProcessRunner(async ({ log }) => {
      log.line("stdout", "serving");
    }).start({ id: "api", log });
    expect(await ok.exited).toEqual({ code: 0, signal: null });
    const three = await new InProcessRunner(async () => 3).start({ id: "x", log });
    expect(await three.exited).toEqual({ code: 3, signal: null });
    expect(lines).toEqual([["stdout", "serving"]]);
  });

  test("throwing fails the run with the message, logged", async () => {
    const { lines, log } = sink();
    const h = await new InProcessRunner(async () => {
      throw new Error("port in use");
    }).start({ id: "api", log });
    expect(await h.exited).toEqual({ code: null, signal: null, error: "Failed: port in use" });
    expect(lines).toEqual([["system", "error: port in use"]]);
  });

  test("stop aborts the signal; a cooperative function ends in time", async () => {
    const clock = new FakeClock();
    const { log } = sink();
    const h = await new InProcessRunner(
      ({ signal }) =>
        new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => resolve());
        }),
      { clock },
    ).start({ id: "api", log });
    expect(await h.stop(1000)).toEqual({ code: 0, signal: null });
  });

  test("a function ignoring the abort is abandoned after the grace period", async () => {
    const clock = new FakeClock();
    const { log } = sink();
    const h = await new InProcessRunner(() => new Promise<void>(() => {}), { clock }).start({
      id: "stuck",
      log,
    });
    let result: unknown;
    void h.stop(2000).then((r) => {
      result = r;
    });
    await clock.advance(1999);
    expect(result).toBeUndefined();
    await clock.advance(1);
    await settle();
    expect(result).toEqual({ code: null, signal: null, error: "Did not stop within 2000 ms (abandoned)" });
    expect(await h.exited).toEqual(result as never);
  });
});
