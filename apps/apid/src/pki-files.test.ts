import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makePki, type PkiFixture, writePkiDir } from "../test/pki-fixture.ts";
import { ApidError } from "./apid-error.ts";
import { readPkiDir, samePki } from "./pki-files.ts";

let dir: string;
let pki: PkiFixture;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "apid-pki-"));
  pki = await makePki();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function error(fn: () => unknown): ApidError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApidError) return e;
    throw e;
  }
  throw new Error("expected an ApidError");
}

test("reads the CA, the server pair and the optional impersonator pair", () => {
  const d = join(dir, "full");
  writePkiDir(d, { ca: pki.ca, server: pki.server, impersonator: pki.impersonator });
  const read = readPkiDir(d);
  expect(read.ca).toBe(pki.ca.crt);
  expect(read.server).toEqual(pki.server);
  expect(read.impersonator).toEqual(pki.impersonator);
  expect(samePki(read, readPkiDir(d))).toBe(true);
  const w = join(dir, "worker");
  writePkiDir(w, { ca: pki.ca, server: pki.server });
  expect(readPkiDir(w).impersonator).toBeUndefined();
  expect(samePki(read, readPkiDir(w))).toBe(false);
});

test("missing or mismatched files are named", () => {
  const d = join(dir, "bad");
  writePkiDir(d, { ca: pki.ca, server: pki.server, impersonator: pki.impersonator });
  unlinkSync(join(d, "impersonator.key"));
  const half = error(() => readPkiDir(d));
  expect(half.code).toBe("PkiDir");
  expect(half.message).toContain("impersonator.key: missing (the impersonator needs both files, or neither)");
  unlinkSync(join(d, "impersonator.crt"));
  writeFileSync(join(d, "server.key"), pki.admin.key);
  expect(error(() => readPkiDir(d)).message).toContain(
    "server.crt / server.key / ca.crt: not a usable certificate",
  );
  unlinkSync(join(d, "ca.crt"));
  expect(error(() => readPkiDir(d)).message).toBe(`${join(d, "ca.crt")}: missing`);
});
