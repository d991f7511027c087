// One image built with the hello-init test entry, shared by the build and boot tests (bun runs the
// test files of a package in one process). Uses the repository's package cache (.cache/image, or
// BRONZE_IMAGE_CACHE), so only the first run on a machine downloads anything.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BuildResult, buildImage, type InitramfsLayout } from "../src/build.ts";
import { PROFILES, type Profile } from "../src/profiles.ts";
import { runTool } from "../src/run-tool.ts";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
/** The package cache: BRONZE_IMAGE_CACHE when set (parallel builds each need their own), as the CLI does. */
export const CACHE_DIR = process.env.BRONZE_IMAGE_CACHE ?? join(REPO_ROOT, ".cache/image");
export const HELLO_ENTRY = join(import.meta.dir, "fixtures/hello-init.ts");
export const SOURCE_DATE_EPOCH = 1700000000;

export interface BuiltImage extends BuildResult {
  readonly outDir: string;
  readonly log: readonly string[];
}

export interface TestBuildOptions {
  readonly outputCache?: boolean;
  readonly initramfsLayout?: InitramfsLayout;
  readonly profile?: Profile;
}

export async function buildTestImage(outDir: string, options: TestBuildOptions = {}): Promise<BuiltImage> {
  const log: string[] = [];
  const result = await buildImage({
    profile: options.profile ?? PROFILES.qemu,
    outDir,
    cacheDir: CACHE_DIR,
    nodeEntry: HELLO_ENTRY,
    sourceDateEpoch: SOURCE_DATE_EPOCH,
    version: "test",
    initramfsZstdLevel: 3,
    squashfs: { compressor: "zstd", level: 9 },
    run: runTool,
    log: (line) => log.push(line),
    outputCache: options.outputCache ?? true,
    initramfsLayout: options.initramfsLayout ?? "stage1",
  });
  return { ...result, outDir, log };
}

let shared: Promise<BuiltImage> | undefined;

/** The shared image (built once, into a temporary directory, until released). */
export function sharedTestImage(): Promise<BuiltImage> {
  shared ??= buildTestImage(mkdtempSync(join(tmpdir(), "bronze-image-")));
  return shared;
}

/** Removes the shared image (each test file's afterAll); a later sharedTestImage() rebuilds it, warm. */
export async function releaseSharedTestImage(): Promise<void> {
  if (shared === undefined) return;
  const image = shared;
  shared = undefined;
  const { outDir } = await image.catch(() => ({ outDir: undefined }));
  if (outDir) rmSync(outDir, { recursive: true, force: true });
}
