import { afterAll, beforeAll, expect, test } from "bun:test";
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

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check() && Date.now() < deadline) await Bun.sleep(20);
}

test("a renewal is reported once; a broken write is reported as an error and not applied", async () => {
  const changes: ApidPki[] = [];
  const errors: unknown[] = [];
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
    await until(() => changes.length > 0);
    expect(changes.length).toBe(1);
    expect(changes[0]?.server.crt).toBe(renewed.crt);
    // Rewriting the same content is no change.
    writeFileSync(join(dir, "server.crt"), renewed.crt);
    await Bun.sleep(300);
    expect(changes.length).toBe(1);
    // A key that does not match is an error; nothing changes.
    writeFileSync(join(dir, "server.key"), pki.admin.key);
    await until(() => errors.length > 0);
    expect(String(errors[0])).toContain("not a usable certificate and key");
    expect(changes.length).toBe(1);
  } finally {
    watcher.close();
  }
});
