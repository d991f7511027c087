import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { setThisThreadNice } from "./worker-priority.ts";

/** A thread's nice value: field 19 of /proc/self/task/<tid>/stat. */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

test("a worker thread lowers its own priority; the thread that started it keeps its own", async () => {
  const before = niceOf(process.pid);
  // The worker reports its thread id after lowering its priority, and waits to be ended.
  const source = `
    import { dlopen } from "bun:ffi";
    import { setThisThreadNice } from ${JSON.stringify(new URL("./worker-priority.ts", import.meta.url).pathname)};
    const failure = setThisThreadNice(10);
    const tid = dlopen("libc.so.6", { gettid: { args: [], returns: "i32" } }).symbols.gettid();
    postMessage({ failure, tid });
  `;
  const url = URL.createObjectURL(new Blob([source], { type: "application/typescript" }));
  const worker = new Worker(url);
  try {
    const reply = await new Promise<{ failure?: string; tid: number }>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
    });
    expect(reply.failure).toBeUndefined();
    expect(reply.tid).not.toBe(process.pid);
    expect(niceOf(reply.tid)).toBe(10);
    expect(niceOf(process.pid)).toBe(before);
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
});

test("a libc that cannot be opened is reported, not thrown", () => {
  expect(setThisThreadNice(10, "/nonexistent/libc.so")).toBeString();
});
