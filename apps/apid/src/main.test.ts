import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makePki, writePkiDir } from "../test/pki-fixture.ts";
import { ApidError } from "./apid-error.ts";
import { parseApidArgs } from "./main.ts";

test("flags", () => {
  expect(parseApidArgs(["--machined-socket", "/s", "--pki-dir", "/p"])).toEqual({
    host: "0.0.0.0",
    port: 50000,
    machinedSocket: "/s",
    pkiDir: "/p",
    maintenance: false,
  });
  expect(
    parseApidArgs(["--listen", "127.0.0.1:1", "--machined-socket", "/s", "--maintenance"]),
  ).toMatchObject({
    host: "127.0.0.1",
    port: 1,
    maintenance: true,
  });
  expect(parseApidArgs(["--machined-socket", "/s", "--pki-dir", "/p", "--node-port", "52000"])).toMatchObject(
    {
      port: 50000,
      nodePort: 52000,
    },
  );
  expect(parseApidArgs(["--help"])).toBe("help");
});

test("bad flags are usage errors saying what is wrong", () => {
  const cases: [string[], string][] = [
    [["--pki-dir", "/p"], "--machined-socket is required"],
    [["--machined-socket", "/s"], "exactly one of --pki-dir DIR and --maintenance"],
    [["--machined-socket", "/s", "--pki-dir", "/p", "--maintenance"], "exactly one of"],
    [["--machined-socket", "/s", "--bogus"], "bogus"],
    [["--machined-socket", "/s", "--maintenance", "--node-port", "x"], "--node-port must be a TCP port"],
  ];
  for (const [argv, message] of cases) {
    let error: unknown;
    try {
      parseApidArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApidError);
    expect((error as ApidError).message).toContain(message);
  }
});

async function run(args: string[], waitFor?: RegExp) {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "main.ts"), ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  if (waitFor) {
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder();
    while (!waitFor.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += decoder.decode(value);
    }
    reader.releaseLock();
    proc.kill("SIGTERM");
  }
  const code = await proc.exited;
  return { code, out, err: await new Response(proc.stderr).text() };
}

test("the real process: usage error, serving, and a clean exit on SIGTERM", async () => {
  const usage = await run(["--machined-socket", "/s"]);
  expect(usage.code).toBe(2);
  expect(usage.err).toContain("apid: give exactly one of --pki-dir DIR and --maintenance");
  const dir = mkdtempSync(join(tmpdir(), "apid-main-"));
  try {
    const missing = await run(["--machined-socket", "/s", "--pki-dir", dir, "--listen", "127.0.0.1:0"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`${join(dir, "ca.crt")}: missing`);
    const pki = await makePki();
    writePkiDir(dir, pki);
    const served = await run(
      ["--machined-socket", join(dir, "m.sock"), "--pki-dir", dir, "--listen", "127.0.0.1:0"],
      /serving on 127\.0\.0\.1:\d+/,
    );
    expect(served.code).toBe(0);
    const maintenance = await run(
      ["--machined-socket", join(dir, "m.sock"), "--maintenance", "--listen", "127.0.0.1:0"],
      /serving on/,
    );
    expect(maintenance.out).toMatch(/apid: maintenance mode, certificate fingerprint sha256:[0-9a-f]{64}\n/);
    expect(maintenance.code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
