import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ListRequest } from "@bronze/api";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";
import { formatMode } from "./files.ts";

let server: FakeApid;
const io = createTestIo();
let admin = "";
let reader = "";
const lists: ListRequest[] = [];
let nodeRoot = "";
/** Archives a node could send, by the path asked for: made by GNU tar with the owner, mode and names given. */
const hostileArchives: Record<string, Uint8Array> = {};

function archive(dir: string, name: string, ...flags: string[]): Uint8Array {
  const tar = Bun.spawnSync(["tar", "-c", "-f", "-", ...flags, "-C", dir, name], { stderr: "pipe" });
  if (tar.exitCode !== 0) throw new Error(`tar -c: ${tar.stderr.toString()}`);
  return tar.stdout;
}

beforeAll(async () => {
  // The "node's" files: a real directory, archived by the real tar as machined's Copy would send it.
  nodeRoot = join(io.dir, "node-root");
  mkdirSync(join(nodeRoot, "etc/kubernetes"), { recursive: true });
  writeFileSync(join(nodeRoot, "etc/kubernetes/kubelet.yaml"), "kind: KubeletConfiguration\n");
  writeFileSync(join(nodeRoot, "etc/hostname"), "node-1\n");
  const hostileRoot = join(io.dir, "hostile-root");
  mkdirSync(hostileRoot);
  writeFileSync(join(hostileRoot, "suid-shell"), "#!/bin/sh\n");
  writeFileSync(join(hostileRoot, "escape"), "outside\n");
  hostileArchives["/suid"] = archive(
    hostileRoot,
    "suid-shell",
    "--owner=4242",
    "--group=4242",
    "--mode=6755",
  );
  hostileArchives["/escape"] = archive(hostileRoot, "escape", "-P", "--transform=s,^,../,");
  server = await startFakeApid({
    async *list(req) {
      lists.push(req);
      yield { name: req.root, relativeName: ".", mode: 0o40755, isDir: true, modified: 1_767_225_600n };
      yield {
        name: `${req.root}/hostname`,
        relativeName: "hostname",
        mode: 0o100644,
        size: 7n,
        uid: 0,
        gid: 0,
        modified: 1_767_225_600n,
      };
      yield { name: `${req.root}/mtab`, relativeName: "mtab", mode: 0o120777, link: "/proc/mounts" };
      yield { name: `${req.root}/secret`, relativeName: "secret", error: "permission denied" };
    },
    async *read(req) {
      const text = readFileSync(join(nodeRoot, req.path), "utf8");
      // Split inside a multi-byte character: the client must decode across chunks.
      const bytes = new TextEncoder().encode(`${text}héllo\n`);
      yield { data: bytes.subarray(0, bytes.length - 5) };
      yield { data: bytes.subarray(bytes.length - 5) };
    },
    async *copy(req) {
      const hostile = hostileArchives[req.rootPath];
      if (hostile !== undefined) {
        yield { data: hostile };
        return;
      }
      const tar = Bun.spawnSync(["tar", "-c", "-f", "-", "-C", nodeRoot, req.rootPath.replace(/^\//, "")]);
      const archive = tar.stdout;
      for (let i = 0; i < archive.length; i += 4096) yield { data: archive.subarray(i, i + 4096) };
    },
  });
  admin = join(io.dir, "admin");
  writeFileSync(admin, server.osconfig("os:admin", [server.endpoint], ["10.0.0.11"]));
  reader = join(io.dir, "reader");
  writeFileSync(reader, server.osconfig("os:reader", [server.endpoint], ["10.0.0.11"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("formatMode reads st_mode like ls", () => {
  expect(formatMode(0o40755)).toBe("drwxr-xr-x");
  expect(formatMode(0o100644)).toBe("-rw-r--r--");
  expect(formatMode(0o120777)).toBe("Lrwxrwxrwx");
  expect(formatMode(0o104755)).toBe("-rwsr-xr-x");
  expect(formatMode(0o41777)).toBe("drwxrwxrwt");
  expect(formatMode(0o102644)).toBe("-rw-r-Sr--");
});

test("ls: names, -l details, -d depth; unreadable entries reported with exit 1", async () => {
  const res = await osctl(io, "--osconfig", admin, "ls", "/etc");
  expect(res.stdout).toBe("NAME\n.\nhostname\nmtab -> /proc/mounts\n");
  expect(res.stderr).toBe("error: 10.0.0.11: /etc/secret: permission denied\n");
  expect(res.code).toBe(1);
  expect(lists.at(-1)).toMatchObject({ root: "/etc", maxDepth: 1 });
  const long = await osctl(io, "--osconfig", admin, "ls", "/etc", "-l", "-d", "-1");
  expect(lists.at(-1)?.maxDepth).toBe(-1);
  expect(long.stdout).toMatch(/-rw-r--r--\s+0\s+0\s+7\s+2026-01-01T00:00:00.000Z\s+hostname/);
});

test("read streams the file's content; readers may not read files", async () => {
  const res = await osctl(io, "--osconfig", admin, "read", "/etc/hostname");
  expect(res.code).toBe(0);
  expect(res.stdout).toBe("node-1\nhéllo\n");
  const denied = await osctl(io, "--osconfig", reader, "read", "/etc/hostname");
  expect(denied.code).toBe(1);
  expect(denied.stderr).toBe("error: 10.0.0.11: permission denied: os:reader may not call Read\n");
  const two = await osctl(io, "--osconfig", admin, "-n", "a,b", "read", "/etc/hostname");
  expect(two.code).toBe(2);
  expect(two.stderr).toContain("read works on one node at a time");
});

test("cp extracts the node's tar archive into the local directory (per node with several)", async () => {
  const res = await osctl(io, "--osconfig", admin, "cp", "/etc/kubernetes", "out");
  expect(res.code).toBe(0);
  expect(readFileSync(join(io.dir, "out/etc/kubernetes/kubelet.yaml"), "utf8")).toBe(
    "kind: KubeletConfiguration\n",
  );
  const two = await osctl(io, "--osconfig", admin, "-n", "10.0.0.1,10.0.0.2", "cp", "/etc/hostname", "many");
  expect(two.code).toBe(0);
  expect(readFileSync(join(io.dir, "many/10.0.0.2/etc/hostname"), "utf8")).toBe("node-1\n");
  expect(two.stderr).toContain("10.0.0.1: /etc/hostname copied into");
});

// L6 (security review): the archive comes from the node. Run as root, as `osctl cp` may be.
test.skipIf(process.getuid?.() !== 0)(
  "cp as root: the node's owners and setuid/setgid bits are not kept; a member with .. is refused",
  async () => {
    const res = await osctl(io, "--osconfig", admin, "cp", "/suid", "hostile");
    expect(res.code).toBe(0);
    const extracted = statSync(join(io.dir, "hostile/suid-shell"));
    expect(extracted.uid).toBe(0);
    expect(extracted.gid).toBe(0);
    expect(extracted.mode & 0o7000).toBe(0);
    expect(extracted.mode & 0o777 & ~0o755).toBe(0);

    const outside = await osctl(io, "--osconfig", admin, "cp", "/escape", "contained/inner");
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("tar could not extract the archive into");
    expect(outside.stderr).toContain("Member name contains '..'");
    expect(existsSync(join(io.dir, "contained/escape"))).toBe(false);
    expect(existsSync(join(io.dir, "contained/inner/escape"))).toBe(false);
  },
);
