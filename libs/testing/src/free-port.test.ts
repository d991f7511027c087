import { expect, test } from "bun:test";
import { createServer } from "node:net";
import { freePort } from "./free-port.ts";

test("the port is free: a server can listen on it", async () => {
  const port = await freePort();
  expect(port).toBeGreaterThan(0);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test("a bad host is a FreePortError naming it", async () => {
  await expect(freePort("203.0.113.255")).rejects.toMatchObject({ code: "NoPort" });
});
