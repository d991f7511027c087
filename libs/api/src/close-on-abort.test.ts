import { expect, test } from "bun:test";
import { eventually } from "@bronze/testing";
import { closeOnAbort } from "./close-on-abort.ts";

test("an abort ends a pass-through suspended at a yield (its finally runs)", async () => {
  let finished = false;
  async function* source() {
    try {
      yield 1;
      await new Promise(() => {}); // never resolves
    } finally {
      finished = true;
    }
  }
  const abort = new AbortController();
  const it = closeOnAbort(source(), abort.signal)[Symbol.asyncIterator]();
  expect((await it.next()).value).toBe(1);
  abort.abort();
  await eventually("the source's finally ran", () => finished, 5000, 1);
});

test("an already aborted signal ends the iterable at once", async () => {
  async function* source() {
    yield 1;
  }
  const it = closeOnAbort(source(), AbortSignal.abort())[Symbol.asyncIterator]();
  expect((await it.next()).done).toBe(true);
});
