import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCA, issueCertificate } from "@bronze/pki";
import { TrustdError } from "./trustd-error.ts";
import { readToken, readTrustdPki } from "./trustd-files.ts";

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustd-files-"));
  const ca = await generateCA({ commonName: "os" });
  const server = await issueCertificate({ ca, commonName: "cp", usage: "server" });
  writeFileSync(join(dir, "ca.crt"), ca.crt);
  writeFileSync(join(dir, "ca.key"), ca.key);
  writeFileSync(join(dir, "server.crt"), server.crt);
  writeFileSync(join(dir, "server.key"), server.key);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function error(fn: () => unknown): TrustdError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TrustdError) return e;
    throw e;
  }
  throw new Error("expected a TrustdError");
}

test("reads the CA and the server pair; a mismatched key or a missing file is named", () => {
  const pki = readTrustdPki(dir);
  expect(pki.ca.crt).toContain("BEGIN CERTIFICATE");
  expect(pki.server.key).toContain("PRIVATE KEY");
  writeFileSync(join(dir, "server.key"), pki.ca.key);
  const mismatch = error(() => readTrustdPki(dir));
  expect(mismatch.code).toBe("PkiDir");
  expect(mismatch.message).toContain("server.crt / server.key: not a usable certificate and key");
  writeFileSync(join(dir, "server.key"), pki.server.key);
  unlinkSync(join(dir, "ca.key"));
  expect(error(() => readTrustdPki(dir)).message).toBe(`${join(dir, "ca.key")}: missing`);
  writeFileSync(join(dir, "ca.key"), pki.ca.key);
});

test("the token file: trimmed, and neither missing nor empty", () => {
  writeFileSync(join(dir, "token"), "  abc.def \n");
  expect(readToken(join(dir, "token"))).toBe("abc.def");
  writeFileSync(join(dir, "empty"), "\n");
  const empty = error(() => readToken(join(dir, "empty")));
  expect(empty.code).toBe("TokenFile");
  expect(empty.message).toBe(`${join(dir, "empty")}: empty`);
  expect(error(() => readToken(join(dir, "nope"))).message).toBe(`${join(dir, "nope")}: missing`);
});
