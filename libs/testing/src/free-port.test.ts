import { expect, test } from "bun:test";
import { createServer } from "node:net";
import { ephemeralPorts, freePort } from "./free-port.ts";

test("the port is free (a server can listen on it) and outside the ephemeral range", async () => {
  const port = await freePort();
  expect(port).toBeGreaterThan(1024);
  expect(port).toBeLessThan(ephemeralPorts().low);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test("the ephemeral range is read from the kernel's setting, with the usual default otherwise", () => {
  expect(ephemeralPorts(() => "40000\t50000\n")).toEqual({ low: 40000, high: 50000 });
  expect(
    ephemeralPorts(() => {
      throw new Error("no /proc");
    }),
  ).toEqual({ low: 32768, high: 60999 });
});

test("a bad host is a FreePortError naming it", async () => {
  await expect(freePort("203.0.113.255")).rejects.toMatchObject({ code: "NoPort" });
  await expect(freePort("203.0.113.255")).rejects.toThrow(/no free port on 203\.0\.113\.255/);
});
