import { expect, test } from "bun:test";
import { parseLoopBlocks } from "./loop-blocks.ts";

test("the monitor's lines, with or without a timestamp; other lines ignored", () => {
  const text = [
    "2026-12-06T22:42:20.016Z machined: starting (pid 19881, platform container)",
    "2026-12-06T22:42:21.000Z machined: event loop blocked for 153 ms",
    "machined: event loop blocked for 101.5 ms (while serving ApplyConfiguration)",
    "2026-12-06T22:42:22.000Z machined: service apid: Running (event loop blocked? no)",
  ].join("\n");
  expect(parseLoopBlocks(text)).toEqual([{ at: "2026-12-06T22:42:21.000Z", ms: 153 }, { ms: 101.5 }]);
  expect(parseLoopBlocks("")).toEqual([]);
});
