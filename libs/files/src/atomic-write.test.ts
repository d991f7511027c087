import { afterEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AtomicWriteFs,
  nodeAtomicWriteFs,
  stageFile,
  syncDirectory,
  writeFileAtomic,
  writeFileAtomicAsync,
} from "./atomic-write.ts";
import { FilesError } from "./files-error.ts";

const isRoot = process.getuid?.() === 0;
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));
function scratch(): string {
  dir = mkdtempSync(join(tmpdir(), "atomic-write-"));
  return dir;
}

function caught(run: () => void): FilesError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FilesError);
    return err as FilesError;
  }
  throw new Error("expected a FilesError");
}

async function caughtAsync(run: () => Promise<void>): Promise<FilesError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(FilesError);
    return err as FilesError;
  }
  throw new Error("expected a FilesError");
}

/** Names handed out in order, as the temporary files' random parts. */
function names(...list: string[]): () => string {
  return () => list.shift() ?? "fresh";
}

// Both writers, on the real file system: the same guarantees, the async one on the thread pool.
const writers = [
  ["writeFileAtomic", async (...args: Parameters<typeof writeFileAtomic>) => writeFileAtomic(...args)],
  ["writeFileAtomicAsync", writeFileAtomicAsync],
] as const;

describe.each(writers)("%s", (_name, write) => {
  test("writes the content with exactly the mode asked for (the umask does not apply), no temporary left", async () => {
    const d = scratch();
    const target = join(d, "config.yaml");
    const umask = process.umask(0o077);
    try {
      await write(target, "a: 1\n", { mode: 0o644 });
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(target, "utf8")).toBe("a: 1\n");
    expect(statSync(target).mode & 0o7777).toBe(0o644);
    await write(target, new TextEncoder().encode("a: 2\n"), { mode: 0o600 });
    expect(readFileSync(target, "utf8")).toBe("a: 2\n");
    expect(statSync(target).mode & 0o7777).toBe(0o600);
    expect(readdirSync(d)).toEqual(["config.yaml"]);
  });

  test.skipIf(!isRoot)("sets the owner asked for, and the mode after it (setgid survives)", async () => {
    const d = scratch();
    const target = join(d, "server.key");
    await write(target, "KEY", { mode: 0o2640, owner: { uid: 50, gid: 51 } });
    const st = statSync(target);
    expect([st.uid, st.gid]).toEqual([50, 51]);
    expect(st.mode & 0o7777).toBe(0o2640);
  });

  test("a symbolic link planted at the temporary name is neither followed nor truncated (review L2)", async () => {
    const d = scratch();
    const victim = join(d, "victim");
    writeFileSync(victim, "precious");
    const target = join(d, "file");
    const planted = join(d, ".file.planted.tmp");
    symlinkSync(victim, planted);
    const dangling = join(d, ".file.dangling.tmp");
    symlinkSync(join(d, "created-through-link"), dangling);

    await write(target, "new", { mode: 0o644, randomName: names("planted", "dangling") });

    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(existsSync(join(d, "created-through-link"))).toBe(false);
    expect(lstatSync(planted).isSymbolicLink()).toBe(true); // left alone, not removed either
    expect(readlinkSync(planted)).toBe(victim);
    expect(readFileSync(target, "utf8")).toBe("new");
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
  });

  test("the victim's mode is not changed through a planted link", async () => {
    const d = scratch();
    const victim = join(d, "victim");
    writeFileSync(victim, "precious", { mode: 0o600 });
    symlinkSync(victim, join(d, ".file.x.tmp"));
    await write(join(d, "file"), "new", { mode: 0o4777, randomName: names("x") });
    expect(statSync(victim).mode & 0o7777).toBe(0o600);
  });

  test("when every name is taken it gives up, naming the file and EEXIST, and writes nothing", async () => {
    const d = scratch();
    writeFileSync(join(d, "file"), "old");
    symlinkSync("/nonexistent", join(d, ".file.same.tmp"));
    const err = await caughtAsync(() =>
      write(join(d, "file"), "new", { mode: 0o644, randomName: () => "same" }),
    );
    expect(err.code).toBe("WriteFailed");
    expect(err.errno).toBe("EEXIST");
    expect(err.message).toContain(`cannot write ${join(d, "file")}:`);
    expect(err.message).toContain("(EEXIST) while creating a temporary file");
    expect(readFileSync(join(d, "file"), "utf8")).toBe("old");
  });

  test("a target that is a directory: EISDIR, the directory intact, no temporary left", async () => {
    const d = scratch();
    mkdirSync(join(d, "conf.d"));
    writeFileSync(join(d, "conf.d/keep"), "k");
    const err = await caughtAsync(() => write(join(d, "conf.d"), "x", { mode: 0o644 }));
    expect(err.errno).toBe("EISDIR");
    expect(err.message).toContain("(EISDIR) while renaming the temporary file over it");
    expect(readdirSync(d)).toEqual(["conf.d"]);
    expect(readdirSync(join(d, "conf.d"))).toEqual(["keep"]);
  });

  test("a missing directory is named (ENOENT)", async () => {
    const d = scratch();
    const err = await caughtAsync(() => write(join(d, "no/such/file"), "x", { mode: 0o644 }));
    expect(err.errno).toBe("ENOENT");
    expect(err.path).toBe(join(d, "no/such/file"));
  });

  test("a very long file name still gets a temporary name the filesystem takes", async () => {
    const d = scratch();
    const target = join(d, "n".repeat(250));
    await write(target, "x", { mode: 0o644 });
    expect(readdirSync(d)).toEqual(["n".repeat(250)]);
  });
});

/** The real file system, with one call failing with `errno`. */
function failing(call: keyof AtomicWriteFs, errno: string, nth = 1): AtomicWriteFs {
  let calls = 0;
  const fail = () => {
    calls++;
    if (calls === nth)
      throw Object.assign(new Error(`${errno}: simulated failure, ${call}`), { code: errno });
  };
  return {
    ...nodeAtomicWriteFs,
    [call]: (...args: never[]) => {
      fail();
      return (nodeAtomicWriteFs[call] as (...a: never[]) => unknown)(...args);
    },
  };
}

describe("failures at every step leave the old file and no temporary", () => {
  const steps: [keyof AtomicWriteFs, string, string, string][] = [
    ["fchown", "EPERM", "PermissionDenied", "setting the temporary file's owner"],
    ["fchmod", "EPERM", "PermissionDenied", "setting the temporary file's mode"],
    ["write", "ENOSPC", "NoSpace", "writing the temporary file"],
    ["write", "EDQUOT", "NoSpace", "writing the temporary file"],
    ["fsync", "EIO", "WriteFailed", "flushing the temporary file to disk (fsync)"],
    ["close", "EIO", "WriteFailed", "closing the temporary file"],
    ["rename", "EROFS", "ReadOnly", "renaming the temporary file over it"],
    ["open", "EACCES", "PermissionDenied", "creating a temporary file beside it"],
  ];
  for (const [call, errno, code, step] of steps) {
    test(`${call} failing with ${errno}`, () => {
      const d = scratch();
      const target = join(d, "file");
      writeFileSync(target, "old");
      const err = caught(() =>
        writeFileAtomic(target, "new", { mode: 0o644, owner: { uid: 0, gid: 0 }, fs: failing(call, errno) }),
      );
      expect(err.code).toBe(code as FilesError["code"]);
      expect(err.errno).toBe(errno);
      expect(err.message).toBe(`cannot write ${target}: simulated failure (${errno}) while ${step}`);
      expect(readFileSync(target, "utf8")).toBe("old");
      expect(readdirSync(d)).toEqual(["file"]);
    });
  }

  test("a short write is continued, not truncated", () => {
    const d = scratch();
    const fs: AtomicWriteFs = {
      ...nodeAtomicWriteFs,
      write: (fd, data, offset) => nodeAtomicWriteFs.write(fd, data.subarray(0, offset + 3), offset),
    };
    writeFileAtomic(join(d, "file"), "0123456789", { mode: 0o644, fs });
    expect(readFileSync(join(d, "file"), "utf8")).toBe("0123456789");
  });

  test("the directory's fsync failing is reported; the file is already in place", () => {
    const d = scratch();
    const target = join(d, "file");
    const err = caught(() => writeFileAtomic(target, "new", { mode: 0o644, fs: failing("fsync", "EIO", 2) }));
    expect(err.message).toBe(
      `cannot write ${target}: simulated failure (EIO) while flushing its directory ${d} to disk (fsync)`,
    );
    expect(readdirSync(d)).toEqual(["file"]);
  });
});

describe("stageFile", () => {
  test("staged files are invisible until committed; discard removes the temporary", () => {
    const d = scratch();
    const a = stageFile(join(d, "a"), "A", { mode: 0o600 });
    const b = stageFile(join(d, "b"), "B", { mode: 0o600 });
    expect(existsSync(join(d, "a"))).toBe(false);
    expect(readFileSync(a.tempPath, "utf8")).toBe("A");
    a.commit();
    b.discard();
    b.discard();
    expect(readdirSync(d)).toEqual(["a"]);
    expect(() => b.commit()).toThrow("its staged file was already discarded");
    a.discard(); // after commit: nothing to do
    expect(readFileSync(join(d, "a"), "utf8")).toBe("A");
  });
});

test("syncDirectory names a missing directory", () => {
  const d = scratch();
  const err = caught(() => syncDirectory(join(d, "gone")));
  expect(err.errno).toBe("ENOENT");
});
