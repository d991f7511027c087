import { expect, test } from "bun:test";
import { readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { writeTar } from "@bronze/files";
import { useContainerd } from "../test/fixtures.ts";
import { isContainerdError } from "./errors.ts";
import { MediaType, sha256Digest } from "./image-spec.ts";

const env = useContainerd();

test("a gzip layer from the content store applies onto a snapshot and yields its diff id", async () => {
  const tar = Buffer.concat(
    writeTar([
      { path: "etc", type: "directory" },
      { path: "etc/motd", type: "file", data: new TextEncoder().encode("applied by containerd\n") },
      { path: "etc/link", type: "symlink", linkName: "motd" },
    ]),
  );
  const blob = gzipSync(tar);
  const layer = { mediaType: MediaType.ociLayerGzip, digest: sha256Digest(blob), size: blob.length };
  await env.client.leases.with(async (lease) => {
    await env.client.content.write(blob, { expected: layer.digest, lease });
    const mounts = await env.client.snapshots.prepare("apply-here", "", { lease });
    const applied = await env.client.diff.apply(layer, mounts);
    expect(applied.digest).toBe(sha256Digest(tar));
    expect(applied.mediaType).toBe(MediaType.ociLayer);
    // a first-layer overlayfs snapshot is a bind mount of a plain directory
    const dir = mounts[0]?.type === "bind" ? (mounts[0]?.source as string) : "";
    expect(dir).not.toBe("");
    expect(readFileSync(join(dir, "etc/motd"), "utf8")).toBe("applied by containerd\n");
    expect(readlinkSync(join(dir, "etc/link"))).toBe("motd");
    await env.client.snapshots.remove("apply-here");
    expect((await env.client.snapshots.list()).map((x) => x.name)).not.toContain("apply-here");
  });
});

test("applying a blob the store lacks is NotFound", async () => {
  const mounts = await env.client.snapshots.prepare("apply-missing", "", {
    labels: { "containerd.io/gc.root": "t" },
  });
  const missing = { mediaType: MediaType.ociLayer, digest: sha256Digest("absent"), size: 6 };
  const e = await env.client.diff.apply(missing, mounts).catch((x) => x);
  expect(isContainerdError(e, "NotFound")).toBe(true);
  expect(e.message).toContain(missing.digest);
  await env.client.snapshots.remove("apply-missing");
});
