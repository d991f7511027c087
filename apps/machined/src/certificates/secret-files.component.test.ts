import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CERT_MODE, KEY_MODE, writeSecretFiles } from "./secret-files.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("files land with their modes and owner, in a 0700 directory, with no temporary left", async () => {
  const target = join(dir, "apid");
  await writeSecretFiles(
    target,
    [
      { name: "server.crt", data: "CRT", mode: CERT_MODE },
      { name: "server.key", data: "KEY", mode: KEY_MODE },
    ],
    { uid: 50, gid: 50 },
  );
  expect(statSync(target).mode & 0o777).toBe(0o700);
  expect(statSync(target).uid).toBe(50);
  expect(statSync(join(target, "server.key")).mode & 0o777).toBe(0o600);
  expect(statSync(join(target, "server.crt")).mode & 0o777).toBe(0o644);
  expect(statSync(join(target, "server.key")).uid).toBe(50);
  expect(readFileSync(join(target, "server.key"), "utf8")).toBe("KEY");
  await writeSecretFiles(target, [{ name: "server.key", data: "NEW", mode: KEY_MODE }]);
  expect(readFileSync(join(target, "server.key"), "utf8")).toBe("NEW");
  expect(readdirSync(target).sort()).toEqual(["server.crt", "server.key"]);
  await expect(writeSecretFiles(target, [{ name: "../x", data: "", mode: KEY_MODE }])).rejects.toThrow(
    "has a slash",
  );
});

test("a failed write names the file and errno, keeps the old files and leaves no temporary", async () => {
  const target = join(dir, "trustd");
  await writeSecretFiles(target, [{ name: "server.key", data: "OLD", mode: KEY_MODE }]);
  mkdirSync(join(target, "server.crt")); // a directory where the certificate goes: rename fails (EISDIR)
  await expect(
    writeSecretFiles(target, [
      { name: "server.key", data: "NEW", mode: KEY_MODE },
      { name: "server.crt", data: "CRT", mode: CERT_MODE },
    ]),
  ).rejects.toThrow(new RegExp(`^cannot write ${join(target, "server.crt")}: .*\\(EISDIR\\)`));
  expect(readdirSync(target).sort()).toEqual(["server.crt", "server.key"]);
  expect(readFileSync(join(target, "server.key"), "utf8")).toBe("NEW");
});
