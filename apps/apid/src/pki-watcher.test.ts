import { afterAll, beforeAll, expect, jest, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { issueCertificate } from "@bronze/pki";
import { makePki, type PkiFixture, writePkiDir } from "../test/pki-fixture.ts";
import { type ApidPki, readPkiDir } from "./pki-files.ts";
import { watchPkiDir } from "./pki-watcher.ts";

let dir: string;
let pki: PkiFixture;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "apid-watch-"));
  pki = await makePki();
  writePkiDir(dir, { ca: pki.ca, server: pki.server });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The watcher's poll and debounce run on fake timers: each step moves one poll period plus the
// debounce, after which every write made before it has been read.
async function step(): Promise<void> {
  jest.advanceTimersByTime(100 + 30);
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

test("a renewal is reported once; a broken write is reported as an error and not applied", async () => {
  const changes: ApidPki[] = [];
  const errors: unknown[] = [];
  jest.useFakeTimers();
  const watcher = watchPkiDir({
    dir,
    current: readPkiDir(dir),
    onChange: (p) => changes.push(p),
    onError: (e) => errors.push(e),
    pollMs: 100,
    debounceMs: 30,
  });
  try {
    const renewed = await issueCertificate({ ca: pki.ca, commonName: "n2", usage: "server" });
    writeFileSync(join(dir, "server.key"), renewed.key);
    writeFileSync(join(dir, "server.crt"), renewed.crt);
    await step();
    expect(changes.length).toBe(1);
    expect(changes[0]?.server.crt).toBe(renewed.crt);
    // Rewriting the same content is no change.
    writeFileSync(join(dir, "server.crt"), renewed.crt);
    await step();
    expect(changes.length).toBe(1);
    // A key that does not match is an error; nothing changes.
    writeFileSync(join(dir, "server.key"), pki.admin.key);
    await step();
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0])).toContain("not a usable certificate and key");
    expect(changes.length).toBe(1);
  } finally {
    watcher.close();
    jest.useRealTimers();
  }
});
