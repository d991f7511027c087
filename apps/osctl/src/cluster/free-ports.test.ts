import { expect, test } from "bun:test";
import { createServer } from "node:net";
import { freePorts } from "./free-ports.ts";

test("returns distinct ports that can be listened on", async () => {
  const ports = await freePorts(5);
  expect(new Set(ports).size).toBe(5);
  for (const port of ports) {
    const server = createServer();
    await new Promise<void>((done, fail) => {
      server.once("error", fail);
      server.listen(port, "127.0.0.1", () => done());
    });
    await new Promise((done) => server.close(done));
  }
});
