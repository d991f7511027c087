import { expect, test } from "bun:test";
import { readLines } from "./lines.ts";

function source() {
  let push: (text: string) => void = () => {};
  let end: () => void = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (text) => controller.enqueue(new TextEncoder().encode(text));
      end = () => controller.close();
    },
  });
  return { stream, push: (text: string) => push(text), end: () => end() };
}

test("waits for a line still to come, split across chunks", async () => {
  const s = source();
  const out = readLines(s.stream);
  const found = out.waitFor(/fingerprint sha256:(\w+)/, 5000);
  s.push("booting\napid: finger");
  s.push("print sha256:ab12\nmore\n");
  expect(await found).toBe("apid: fingerprint sha256:ab12");
  expect(out.all).toEqual(["booting", "apid: fingerprint sha256:ab12", "more"]);
});

test("a line already read is found at once; a string matches as a substring", async () => {
  const s = source();
  const out = readLines(s.stream);
  s.push("one\ntwo three\n");
  await out.waitFor("one", 5000);
  expect(await out.waitFor("three", 5000)).toBe("two three");
});

test("times out naming the pattern and showing the last lines", async () => {
  const s = source();
  const out = readLines(s.stream);
  s.push("only this\n");
  await expect(out.waitFor(/never/, 30)).rejects.toThrow(
    /a line matching \/never\/: not within 30 ms; the last lines:\nonly this/,
  );
});

test("fails as soon as the output ends without the line; a last line without newline counts", async () => {
  const s = source();
  const out = readLines(s.stream);
  const never = out.waitFor("never", 60_000);
  s.push("a\nlast");
  s.end();
  await expect(never).rejects.toThrow("the output ended without one");
  await out.done;
  expect(out.ended()).toBe(true);
  expect(out.all).toEqual(["a", "last"]);
});
