import { expect, test } from "bun:test";
import * as http2 from "node:http2";
import { grpcFrame, rawHttp2Call } from "./raw-http2-call.ts";

test("an answer that comes before the request body ends; a gRPC frame", async () => {
  let received = 0;
  const server = http2.createServer((req, res) => {
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      res.writeHead(403, { "x-why": "refused" });
      res.end("no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const answer = await rawHttp2Call({
    url: `http://127.0.0.1:${port}`,
    path: "/x",
    headers: { "content-type": "application/grpc" },
    body: grpcFrame(new Uint8Array([1, 2, 3])),
    keepBodyOpen: true,
  });
  expect(answer.status).toBe(403);
  expect(answer.headers["x-why"]).toBe("refused");
  expect(answer.body.toString()).toBe("no");
  expect(answer.bodyEnded).toBe(false);
  expect(received).toBe(8);
  expect([...grpcFrame(new Uint8Array([9]), { compressed: true, length: 100 })]).toEqual([
    1, 0, 0, 0, 100, 9,
  ]);
  server.close();
});
