import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@bronze/testing";
import { Code } from "@connectrpc/connect";
import { drain, failure, type ServerFixture, startServerFixture } from "../testing/api-server-fixture.ts";
import { fileKind, OpenRegularFileError, openRegularFile } from "./open-regular-file.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-open-regular-"));
const fifos: string[] = [];

function mkfifo(path: string): string {
  const made = Bun.spawnSync(["mkfifo", path]);
  if (made.exitCode !== 0) throw new Error(`mkfifo ${path}: ${made.stderr.toString()}`);
  fifos.push(path);
  return path;
}

/** Opens every FIFO for writing and closes it: an open() stuck on one (the old code) returns. */
function releaseFifos(): void {
  for (const fifo of fifos) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting on it (ENXIO): nothing to release
    }
  }
}

afterAll(() => {
  releaseFifos();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(path: string, known?: Stats): Promise<OpenRegularFileError> {
  try {
    const file = await openRegularFile(path, known);
    await file.close();
  } catch (e) {
    if (e instanceof OpenRegularFileError) return e;
    throw e;
  }
  throw new Error(`${path} was opened`);
}

test("a regular file opens; a FIFO, a directory, a device or a symlink never does", async () => {
  writeFileSync(join(dir, "file"), "data");
  const file = await openRegularFile(join(dir, "file"));
  expect((await file.readFile()).toString()).toBe("data");
  await file.close();

  // A FIFO without a writer: refused at once, never opened (an open would wait for a writer).
  const fifo = await refusal(mkfifo(join(dir, "fifo")));
  expect([fifo.code, fifo.kind, fifo.message]).toEqual([
    "NotRegular",
    "a FIFO",
    "not a regular file (a FIFO)",
  ]);
  expect((await refusal(dir)).kind).toBe("a directory");
  expect((await refusal("/dev/null")).kind).toBe("a character device");
  symlinkSync(join(dir, "file"), join(dir, "link"));
  expect((await refusal(join(dir, "link"))).kind).toBe("a symlink");
});

test("a file replaced between the check and the open is refused (no TOCTOU)", async () => {
  const path = join(dir, "swapped");
  writeFileSync(path, "before");
  const seen = lstatSync(path);
  renameSync(path, `${path}.old`); // kept: its inode is not reused for the new file
  writeFileSync(path, "another file, another inode");
  const changed = await refusal(path, seen);
  expect(changed.code).toBe("Changed");
  // A FIFO put where a regular file was: opened without blocking (O_NONBLOCK), then refused by fstat.
  const fifoPath = join(dir, "became-fifo");
  writeFileSync(fifoPath, "regular");
  const before = lstatSync(fifoPath);
  rmSync(fifoPath);
  mkfifo(fifoPath);
  const fifo = await refusal(fifoPath, before);
  expect([fifo.code, fifo.message]).toEqual(["Changed", "replaced while being opened (now a FIFO)"]);
  // A symlink put there: O_NOFOLLOW refuses it.
  const linkPath = join(dir, "became-link");
  writeFileSync(linkPath, "regular");
  const was = lstatSync(linkPath);
  rmSync(linkPath);
  symlinkSync(join(dir, "file"), linkPath);
  expect((await refusal(linkPath, was)).code).toBe("Changed");
});

test("fileKind names every kind of file", () => {
  expect(fileKind(lstatSync(dir))).toBe("a directory");
  expect(fileKind(lstatSync("/dev/null"))).toBe("a character device");
});

// M4 of the security review: Read opened FIFOs with a blocking open(), on the I/O thread pool every
// async fs call of PID 1 shares (one thread per CPU): two such reads froze all of them. Over
// machined's real API server.
let s: ServerFixture;
beforeAll(async () => {
  s = await startServerFixture();
});
afterAll(() => s?.close());

test("Read of FIFOs is refused at once, and a Read of a regular file beside them is served", async () => {
  const root = s.f.ctx.filesRoot;
  mkdirSync(join(root, "run"));
  writeFileSync(join(root, "run", "hosts"), "127.0.0.1 localhost\n");
  // As many FIFO reads as the I/O pool has threads (one per CPU), and two at least.
  const count = Math.max(2, availableParallelism());
  const admin = s.client("os:admin");
  const fifoReads = Array.from({ length: count }, (_, i) => {
    mkfifo(join(root, "run", `fifo-${i}`));
    return failure(drain(admin.read({ path: `/run/fifo-${i}` })));
  });
  // The regular file's Read, given a deadline so that the old code fails here instead of hanging.
  const chunks: Uint8Array[] = [];
  for await (const c of admin.read({ path: "/run/hosts" }, { signal: AbortSignal.timeout(10_000) })) {
    chunks.push(c.data);
  }
  expect(Buffer.concat(chunks).toString()).toBe("127.0.0.1 localhost\n");
  for (const result of await Promise.all(fifoReads)) {
    expect(result.code).toBe(Code.InvalidArgument);
    expect(result.rawMessage).toMatch(/^Read \/run\/fifo-\d+: not a regular file \(a FIFO\)$/);
  }
  // Copy of the directory leaves the FIFOs out, and does not block on them either.
  let archived = 0;
  for await (const c of admin.copy({ rootPath: "/run" }, { signal: AbortSignal.timeout(10_000) })) {
    archived += c.data.length;
  }
  expect(archived).toBeGreaterThan(0);
});

/** How far machined (this process) has read the open file `path`: its descriptor's offset. */
function readOffset(path: string): number | undefined {
  for (const fd of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== path) continue;
    const pos = /^pos:\s+(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
    return pos === null ? undefined : Number(pos[1]);
  }
  return undefined;
}

test("a Read whose client stops reading makes machined stop reading the file (back-pressure)", async () => {
  const root = s.f.ctx.filesRoot;
  mkdirSync(join(root, "big"));
  const path = join(root, "big", "file");
  writeFileSync(path, Buffer.alloc(64 << 20, 1)); // 64 MiB
  const stop = new AbortController();
  const stream = s
    .ownClient("os:admin", { initialWindowSize: 65_535 })
    .read({ path: "/big/file" }, { signal: stop.signal })
    [Symbol.asyncIterator]();
  await stream.next(); // one chunk, then nothing more is read
  // The offset stops moving once the stream's window and buffer are full.
  let last = -1;
  let still = 0;
  const offset = await waitFor(
    () => {
      const now = readOffset(realpathSync(path));
      if (now === undefined || now !== last) {
        last = now ?? -1;
        still = 0;
        return undefined;
      }
      return ++still >= 4 ? now : undefined;
    },
    { what: "machined's read of the file comes to a stop", timeoutMs: 10_000, intervalMs: 50 },
  );
  expect(offset).toBeLessThan(2 << 20);
  stop.abort();
});
