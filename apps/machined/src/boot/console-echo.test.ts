import { expect, test } from "bun:test";
import type { LogStream, RunContext, Runner } from "../supervisor/service.ts";
import { echoToConsole } from "./console-echo.ts";

test("matching output lines reach the console too; every line still reaches the service's log", async () => {
  const inner: Runner = {
    kind: "containerd",
    async start(ctx: RunContext) {
      ctx.log.line("stdout", "apid: listening on 0.0.0.0:50000");
      ctx.log.line("stdout", "apid: maintenance mode, certificate fingerprint sha256:ab12");
      ctx.log.line("system", "fingerprint sha256:not-from-the-service");
      return { exited: new Promise(() => {}), stop: async () => ({ code: 0, signal: null }) };
    },
  };
  const logged: [LogStream, string][] = [];
  const console: string[] = [];
  const runner = echoToConsole(inner, /fingerprint sha256:/, (line) => console.push(line));
  expect(runner.kind).toBe("containerd");
  await runner.start({ id: "apid", log: { line: (stream, text) => logged.push([stream, text]) } });
  expect(console).toEqual(["apid: maintenance mode, certificate fingerprint sha256:ab12"]);
  expect(logged.map(([, text]) => text)).toEqual([
    "apid: listening on 0.0.0.0:50000",
    "apid: maintenance mode, certificate fingerprint sha256:ab12",
    "fingerprint sha256:not-from-the-service",
  ]);
});
