import { expect, test } from "bun:test";
import { createServer, type Socket } from "node:net";
import { holdConnections } from "./held-connections.ts";
import { eventually } from "./wait-for.ts";

test("connections from several source addresses, counted until the server closes them", async () => {
  const accepted: Socket[] = [];
  const server = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const held = await holdConnections({ port, count: 4, from: ["127.0.0.2", "127.0.0.3"] });
  expect(held.open()).toBe(4);
  await eventually("all accepted", () => accepted.length === 4);
  expect(new Set(accepted.map((s) => s.remoteAddress))).toEqual(new Set(["127.0.0.2", "127.0.0.3"]));
  accepted[0]?.destroy();
  await eventually("the closed one is no longer counted", () => held.open() === 3);
  held.close();
  server.close();
});
