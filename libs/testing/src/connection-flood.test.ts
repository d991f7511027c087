import { expect, test } from "bun:test";
import { callDuringConnectionFlood } from "./connection-flood.ts";
import { freePort } from "./free-port.ts";

test("a server under an fd limit, flooded: the call's answer during the flood", async () => {
  const port = await freePort();
  // A server that counts the connections it holds, and answers a client that sends "count".
  const script = `
    let held = 0;
    Bun.listen({ hostname: "127.0.0.1", port: ${port}, socket: {
      open() { held++; },
      close() { held--; },
      data(socket, data) { if (String(data) === "count") socket.end(String(held)); },
    } });`;
  const count = () =>
    new Promise<number>((resolve, reject) => {
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open: (socket) => {
            socket.write("count");
          },
          data: (_socket, data) => resolve(Number(String(data))),
          error: (_socket, error) => reject(error),
          connectError: (_socket, error) => reject(error),
        },
      }).catch(reject);
    });
  const during = await callDuringConnectionFlood({
    argv: [process.execPath, "-e", script],
    port,
    connections: 50,
    sources: 5,
    call: count,
  });
  // The flood's 50 connections and the counting one.
  expect(during).toBe(51);
});
