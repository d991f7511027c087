import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCA, issueCertificate } from "@bronze/pki";
import { parseTrustdArgs } from "./main.ts";
import { TrustdError } from "./trustd-error.ts";

test("flags", () => {
  expect(
    parseTrustdArgs(["--pki-dir", "/p", "--token-file", "/t", "--allow-san", "a", "--allow-san", "b"]),
  ).toEqual({
    host: "0.0.0.0",
    port: 50001,
    pkiDir: "/p",
    tokenFile: "/t",
    extraSans: ["a", "b"],
  });
  expect(parseTrustdArgs(["--help"])).toBe("help");
  for (const [argv, message] of [
    [["--token-file", "/t"], "--pki-dir is required"],
    [["--pki-dir", "/p"], "--token-file is required"],
    [["--pki-dir", "/p", "--token-file", "/t", "--listen", "x"], '--listen: "x"'],
  ] as const) {
    let error: unknown;
    try {
      parseTrustdArgs([...argv]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrustdError);
    expect((error as TrustdError).message).toContain(message);
  }
});

test("the real process: a missing file is named; serving; a clean exit on SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trustd-main-"));
  const start = (args: string[]) =>
    Bun.spawn([process.execPath, join(import.meta.dir, "main.ts"), ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
  try {
    const args = ["--pki-dir", dir, "--token-file", join(dir, "token"), "--listen", "127.0.0.1:0"];
    const missing = start(args);
    expect(await missing.exited).toBe(1);
    expect(await new Response(missing.stderr).text()).toContain(`${join(dir, "ca.crt")}: missing`);
    const ca = await generateCA({ commonName: "os" });
    const server = await issueCertificate({
      ca,
      commonName: "cp",
      usage: "server",
      ipAddresses: ["127.0.0.1"],
    });
    writeFileSync(join(dir, "ca.crt"), ca.crt);
    writeFileSync(join(dir, "ca.key"), ca.key);
    writeFileSync(join(dir, "server.crt"), server.crt);
    writeFileSync(join(dir, "server.key"), server.key);
    writeFileSync(join(dir, "token"), "t0ken");
    const serving = start(args);
    const reader = serving.stdout.getReader();
    let out = "";
    while (!/serving on 127\.0\.0\.1:\d+/.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out).toMatch(/trustd: serving on 127\.0\.0\.1:\d+/);
    serving.kill("SIGTERM");
    expect(await serving.exited).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
