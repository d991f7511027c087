import { afterAll, expect, test } from "bun:test";
import { BodyTooLargeError, readTextCapped, redactUrl } from "./http-body.ts";

// A real HTTP server: one route answers a body bigger than any cap, slowly and without a length.
let streamed = 0;
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/small") return new Response("version: v1alpha1\n");
    if (url.pathname === "/declared") return new Response("x".repeat(4096));
    // 64 MiB in 64 KiB chunks, no Content-Length: the reader must stop long before the end.
    let sent = 0;
    return new Response(
      new ReadableStream({
        pull(controller) {
          if (sent >= 64 * 1024 * 1024) return controller.close();
          sent += 65536;
          streamed = sent;
          controller.enqueue(new Uint8Array(65536));
        },
      }),
    );
  },
});
afterAll(() => server.stop(true));
const base = `http://127.0.0.1:${server.port}`;

test("a body within the cap is read whole", async () => {
  expect(await readTextCapped(await fetch(`${base}/small`), 1024, "the config")).toBe("version: v1alpha1\n");
});

test("a declared length over the cap is refused before reading", async () => {
  const err = await readTextCapped(await fetch(`${base}/declared`), 1024, "the config at X").catch((e) => e);
  expect(err).toBeInstanceOf(BodyTooLargeError);
  expect(err.message).toBe("the config at X is larger than 1 KiB: refused");
});

test("an endless body is cut off once past the cap: the download stops, it is not buffered", async () => {
  const err = await readTextCapped(await fetch(`${base}/endless`), 1024 * 1024, "the config").catch((e) => e);
  expect(err).toBeInstanceOf(BodyTooLargeError);
  expect(err.message).toBe("the config is larger than 1 MiB: refused");
  // The server was asked for little more than the cap (stream buffers), never for the 64 MiB.
  expect(streamed).toBeLessThan(16 * 1024 * 1024);
});

test("redactUrl drops userinfo and the query, which may carry a token", () => {
  expect(redactUrl("https://admin:s3cret@10.0.0.1:8080/cp.yaml?token=abc&x=1")).toBe(
    "https://10.0.0.1:8080/cp.yaml?…",
  );
  expect(redactUrl("http://10.0.2.2/plain")).toBe("http://10.0.2.2/plain");
  expect(redactUrl("not a url://u:p@host/x?y")).toBe("not a url://host/x?…");
});
