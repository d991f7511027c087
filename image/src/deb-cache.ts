import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImageError } from "./image-error.ts";
import type { RunTool } from "./run-tool.ts";

/** One Debian package file as apt would download it. */
export interface DebRef {
  readonly package: string;
  readonly url: string;
  /** The file name apt-get download writes, e.g. `runc_1.1.5+ds1-1+deb12u1_amd64.deb`. */
  readonly filename: string;
  readonly size: number;
  readonly sha256: string;
}

/** Parses `apt-get download --print-uris` lines: `'URL' filename size SHA256:hex`. */
export function parsePrintUris(text: string): DebRef[] {
  const refs: DebRef[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^'([^']+)' (\S+\.deb) (\d+) SHA256:([0-9a-f]{64})$/.exec(line.trim());
    if (!m)
      throw new ImageError(
        "ParseError",
        `apt-get --print-uris line ${i + 1}: unexpected ${JSON.stringify(line)}`,
      );
    const [, url, filename, size, sha256] = m as unknown as [string, string, string, string, string];
    const pkg = filename.slice(0, filename.indexOf("_"));
    if (pkg === "")
      throw new ImageError("ParseError", `apt-get --print-uris line ${i + 1}: no package in ${filename}`);
    refs.push({ package: pkg, url, filename, size: Number(size), sha256 });
  });
  return refs;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of Bun.file(path).stream()) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Debian packages, downloaded with `apt-get download` into `<dir>/debs` (cached by file name and
 * checked against apt's SHA256) and unpacked with `dpkg-deb -x` into `<dir>/unpacked/<file>`.
 */
export class DebCache {
  readonly debsDir: string;
  readonly unpackedDir: string;

  constructor(
    dir: string,
    private readonly run: RunTool,
  ) {
    this.debsDir = join(dir, "debs");
    this.unpackedDir = join(dir, "unpacked");
  }

  /** The candidate package file of each package, in the order asked. */
  async resolve(packages: readonly string[]): Promise<DebRef[]> {
    // apt leaves out files already present in the working directory: ask from an empty one
    const empty = mkdtempSync(join(tmpdir(), "bronze-apt-"));
    try {
      const refs = parsePrintUris(
        await this.run(["apt-get", "download", "--print-uris", ...packages], { cwd: empty }),
      );
      return packages.map((p) => {
        const ref = refs.find((r) => r.package === p);
        if (!ref)
          throw new ImageError("NotFound", `apt-get download --print-uris gave no file for package ${p}`);
        return ref;
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }

  /** Downloads what is not cached yet; returns each package file's path. Verifies every file's SHA256. */
  async fetch(refs: readonly DebRef[]): Promise<{ paths: string[]; downloaded: number }> {
    mkdirSync(this.debsDir, { recursive: true });
    const missing = refs.filter((r) => !existsSync(join(this.debsDir, r.filename)));
    if (missing.length > 0) {
      await this.run(["apt-get", "download", "-q", ...missing.map((r) => r.package)], { cwd: this.debsDir });
    }
    const paths: string[] = [];
    for (const ref of refs) {
      const path = join(this.debsDir, ref.filename);
      if (!existsSync(path)) throw new ImageError("NotFound", `apt-get download did not write ${path}`);
      const actual = await sha256File(path);
      if (actual !== ref.sha256) {
        rmSync(path, { force: true });
        throw new ImageError(
          "ToolFailed",
          `${ref.filename}: sha256 ${actual} does not match apt's ${ref.sha256} (removed)`,
        );
      }
      paths.push(path);
    }
    return { paths, downloaded: missing.length };
  }

  /** Unpacks a package file once; returns the directory it was unpacked into. */
  async unpack(ref: DebRef): Promise<string> {
    const target = join(this.unpackedDir, ref.filename.replace(/\.deb$/, ""));
    if (existsSync(target)) return target;
    mkdirSync(this.unpackedDir, { recursive: true });
    const partial = `${target}.partial`;
    rmSync(partial, { recursive: true, force: true });
    await this.run(["dpkg-deb", "-x", join(this.debsDir, ref.filename), partial]);
    renameSync(partial, target);
    return target;
  }
}
