// Shared fixtures for the integration tests: a real containerd per test file, and busybox images.
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TarWriteEntry, writeTar } from "@bronze/files";
import type { ContainerdClient } from "../src/client.ts";
import { MediaType, sha256Digest } from "../src/image-spec.ts";
import { buildOciImageTarball, type OciImageTarball } from "../src/oci-image-tarball.ts";
import { makeBusyboxRootfs } from "../src/testing/busybox-rootfs.ts";
import { startTestContainerd, type TestContainerd } from "../src/testing/containerd-harness.ts";

export interface Env {
  containerd: TestContainerd;
  client: ContainerdClient;
  /** The client's namespace (by default the harness's own: no other test run shares it). */
  namespace: string;
  /** A scratch directory removed after the file's tests. */
  scratch: string;
}

/**
 * Starts a containerd (and a client in `namespace`, by default one of its own) before the file's
 * tests; stops it after.
 */
export function useContainerd(namespace?: string): Env {
  const env = {} as Env;
  beforeAll(async () => {
    env.containerd = await startTestContainerd();
    env.namespace = namespace ?? env.containerd.namespace;
    env.client = await env.containerd.connect(env.namespace);
    env.scratch = mkdtempSync(join(tmpdir(), "ctrd-test-"));
  });
  afterAll(async () => {
    env.client?.close();
    await env.containerd?.stop();
    if (env.scratch) rmSync(env.scratch, { recursive: true, force: true });
  });
  return env;
}

const built = new Map<string, OciImageTarball>();

/** A busybox image tarball (built once per process and name). */
export function busyboxImage(
  name = "bronze/busybox:test",
  files?: Record<string, Uint8Array | string>,
): OciImageTarball {
  const key = `${name} ${JSON.stringify(Object.keys(files ?? {}))}`;
  let t = built.get(key);
  if (!t) {
    const dir = mkdtempSync(join(tmpdir(), "busybox-rootfs-"));
    try {
      t = buildOciImageTarball({
        rootfs: makeBusyboxRootfs(dir, { files }),
        name,
        config: { cmd: ["/bin/sh"], env: ["PATH=/bin", "FROM_IMAGE=yes"] },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    built.set(key, t);
  }
  return t;
}

/** Runs containerd's own `ctr` against the test daemon. */
export function ctr(
  env: Env,
  args: string[],
  namespace = env.client.namespace,
): { code: number; out: string; err: string } {
  const p = Bun.spawnSync(["ctr", "--address", env.containerd.socketPath, "-n", namespace, ...args]);
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** An OCI layout tarball assembled by hand (for images buildOciImageTarball would not make). */
export function ociArchive(o: {
  name: string;
  layers: { blob: Uint8Array; mediaType: string }[];
  config: Record<string, unknown>;
}): { data: Uint8Array; manifestDigest: string; layerDigests: string[] } {
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const config = enc(o.config);
  const layers = o.layers.map((l) => ({
    mediaType: l.mediaType,
    digest: sha256Digest(l.blob),
    size: l.blob.length,
  }));
  const manifest = enc({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: sha256Digest(config), size: config.length },
    layers,
  });
  const index = enc({
    schemaVersion: 2,
    manifests: [
      {
        mediaType: MediaType.ociManifest,
        digest: sha256Digest(manifest),
        size: manifest.length,
        annotations: { "io.containerd.image.name": o.name },
      },
    ],
  });
  const blob = (data: Uint8Array): TarWriteEntry => ({
    path: `blobs/sha256/${sha256Digest(data).slice(7)}`,
    type: "file",
    data,
  });
  const data = Buffer.concat(
    writeTar([
      { path: "oci-layout", type: "file", data: enc({ imageLayoutVersion: "1.0.0" }) },
      { path: "index.json", type: "file", data: index },
      blob(manifest),
      blob(config),
      ...o.layers.map((l) => blob(l.blob)),
    ]),
  );
  return { data, manifestDigest: sha256Digest(manifest), layerDigests: layers.map((l) => l.digest) };
}
