import { expect, test } from "bun:test";
import { eventually } from "@bronze/testing";
import type { HandlerContext } from "@connectrpc/connect";
import { closeOnAbort } from "./close-on-abort.ts";

function fakeContext(signal: AbortSignal): HandlerContext {
  return { signal } as HandlerContext;
}

test("a generator suspended at a yield is ended (its finally runs) when the call aborts", async () => {
  let cleaned = 0;
  const handler = closeOnAbort(async function* (_req: unknown) {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      cleaned++;
    }
  });
  const call = new AbortController();
  const it = handler({}, fakeContext(call.signal))[Symbol.asyncIterator]();
  expect((await it.next()).value).toBe(0);
  expect(cleaned).toBe(0);
  call.abort();
  await eventually("the generator's finally ran", () => cleaned === 1, 5000, 0);
  expect((await it.next()).done).toBe(true);
});

test("the extra signal (server shutdown) ends it too; an already aborted call never starts", async () => {
  let cleaned = 0;
  const body = async function* () {
    try {
      yield 1;
      yield 2;
    } finally {
      cleaned++;
    }
  };
  const shutdown = new AbortController();
  const it = closeOnAbort(body, shutdown.signal)({}, fakeContext(new AbortController().signal))[
    Symbol.asyncIterator
  ]();
  await it.next();
  shutdown.abort();
  await eventually("the generator's finally ran", () => cleaned === 1, 5000, 0);

  const aborted = AbortSignal.abort();
  const never = closeOnAbort(body)({}, fakeContext(aborted))[Symbol.asyncIterator]();
  expect((await never.next()).done).toBe(true);
});
