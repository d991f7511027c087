import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { isContainerdError } from "./errors.ts";
import {
  chainIds,
  MediaType,
  parseImageConfig,
  parseIndex,
  parseManifest,
  sha256Digest,
} from "./image-spec.ts";
import { buildOciImageTarball, writeOciImageTarball } from "./oci-image-tarball.ts";
import { readTar } from "./tar-reader.ts";

const dir = mkdtempSync(join(tmpdir(), "oci-tarball-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rootfs(name: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  writeFileSync(join(root, "usr/bin/etcd"), "#!/bin/sh\necho etcd\n", { mode: 0o755 });
  writeFileSync(join(root, "usr/bin/b"), "b");
  symlinkSync("etcd", join(root, "usr/bin/etcdctl"));
  return root;
}

async function entries(data: Uint8Array): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of readTar(
    (async function* () {
      yield data;
    })(),
  ))
    out.set(e.header.path, e.header.type === "file" ? await e.bytes() : new Uint8Array(0));
  return out;
}

test("an OCI layout whose blobs match their digests, with config, manifest, index and name", async () => {
  const t = buildOciImageTarball({
    rootfs: rootfs("a"),
    name: "bronze/etcd:3.4.23",
    config: {
      entrypoint: ["/usr/bin/etcd"],
      env: ["ETCD_DATA_DIR=/var/lib/etcd"],
      user: "0:0",
      workingDir: "/",
    },
  });
  expect(t.name).toBe("docker.io/bronze/etcd:3.4.23");
  const files = await entries(t.data);
  expect([...files.keys()]).toEqual([
    "oci-layout",
    "index.json",
    "blobs/",
    "blobs/sha256/",
    ...[t.manifest, t.config, t.layer].map((d) => `blobs/sha256/${d.digest.slice(7)}`).sort(),
  ]);
  for (const [path, bytes] of files)
    if (path.startsWith("blobs/sha256/") && bytes.length > 0)
      expect(sha256Digest(bytes)).toBe(`sha256:${path.slice(13)}`);
  const index = parseIndex(files.get("index.json") as Uint8Array, "index.json");
  expect(index.manifests[0]?.annotations).toEqual({
    "io.containerd.image.name": "docker.io/bronze/etcd:3.4.23",
    "org.opencontainers.image.ref.name": "3.4.23",
  });
  expect(index.manifests[0]?.platform).toEqual({ os: "linux", architecture: "amd64" });
  const manifest = parseManifest(files.get(`blobs/sha256/${t.manifest.digest.slice(7)}`) as Uint8Array, "m");
  expect(manifest.layers).toEqual([t.layer]);
  expect(t.layer.mediaType).toBe(MediaType.ociLayerGzip);
  const config = parseImageConfig(files.get(`blobs/sha256/${t.config.digest.slice(7)}`) as Uint8Array, "c");
  expect(config.rootfs.diff_ids).toEqual([t.diffId]);
  expect(chainIds(config.rootfs.diff_ids)).toEqual([t.diffId]);
  expect(config.config).toEqual({
    Entrypoint: ["/usr/bin/etcd"],
    Env: ["ETCD_DATA_DIR=/var/lib/etcd"],
    User: "0:0",
    WorkingDir: "/",
  });
  // the layer holds the tree, owned by root, with modes and symlinks kept
  const layerTar = gunzipSync(files.get(`blobs/sha256/${t.layer.digest.slice(7)}`) as Uint8Array);
  expect(sha256Digest(layerTar)).toBe(t.diffId);
  const layer = [] as string[];
  for await (const e of readTar(
    (async function* () {
      yield layerTar;
    })(),
  ))
    layer.push(
      `${e.header.path} ${e.header.type} ${e.header.mode.toString(8)} ${e.header.uid}:${e.header.gid}${e.header.linkName ? ` -> ${e.header.linkName}` : ""}`,
    );
  expect(layer).toEqual([
    "usr/ directory 755 0:0",
    "usr/bin/ directory 755 0:0",
    "usr/bin/b file 644 0:0",
    "usr/bin/etcd file 755 0:0",
    "usr/bin/etcdctl symlink 777 0:0 -> etcd",
  ]);
});

test("deterministic: the same tree gives the same bytes whatever the files' mtimes", () => {
  const a = rootfs("det1");
  const b = rootfs("det2");
  utimesSync(join(b, "usr/bin/etcd"), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const ta = buildOciImageTarball({ rootfs: a, name: "x:1" });
  const tb = buildOciImageTarball({ rootfs: b, name: "x:1" });
  expect(Buffer.from(ta.data).equals(Buffer.from(tb.data))).toBe(true);
  const uncompressed = buildOciImageTarball({ rootfs: a, name: "x:1", compression: "none" });
  expect(uncompressed.layer.mediaType).toBe(MediaType.ociLayer);
  expect(uncompressed.layer.digest).toBe(uncompressed.diffId);
  expect(uncompressed.diffId).toBe(ta.diffId);
});

test("GNU tar lists the archive; writeOciImageTarball writes it; a bad rootfs is named", () => {
  const file = join(dir, "img.tar");
  const info = writeOciImageTarball(file, { rootfs: rootfs("w"), name: "w:1" });
  const list = Bun.spawnSync(["tar", "-tf", file]).stdout.toString().trim().split("\n");
  expect(list).toContain("index.json");
  expect(list).toContain(`blobs/sha256/${info.layer.digest.slice(7)}`);
  const e = (() => {
    try {
      buildOciImageTarball({ rootfs: join(dir, "absent"), name: "x:1" });
    } catch (x) {
      return x;
    }
  })();
  expect(isContainerdError(e, "InvalidArgument")).toBe(true);
  expect((e as Error).message).toContain(`rootfs ${join(dir, "absent")} is not a directory`);
});
