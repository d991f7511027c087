import { expect, test } from "bun:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { writeTar } from "@bronze/files";
import { busyboxImage, ctr, ociArchive, useContainerd } from "../test/fixtures.ts";
import { ContainerdError } from "./errors.ts";
import { chainIds, MediaType, sha256Digest } from "./image-spec.ts";
import { GC_SNAPSHOT_LABEL_PREFIX, UNCOMPRESSED_LABEL } from "./image-unpack.ts";
import { readTar } from "./tar-reader.ts";

const env = useContainerd();

async function busyboxLayerTar(): Promise<Uint8Array> {
  const tar = busyboxImage();
  for await (const e of readTar(
    (async function* () {
      yield tar.data;
    })(),
  ))
    if (e.header.path === `blobs/sha256/${tar.layer.digest.slice(7)}`) return gunzipSync(await e.bytes());
  throw new Error("no layer");
}

function twoLayerImage(base: Uint8Array, diffIds?: string[]) {
  const top = Buffer.concat(
    writeTar([{ path: "etc/layer2", type: "file", data: new TextEncoder().encode("second layer\n") }]),
  );
  const layers = [
    { blob: gzipSync(base), mediaType: MediaType.ociLayerGzip },
    { blob: top, mediaType: MediaType.ociLayer },
  ];
  return ociArchive({
    name: "docker.io/bronze/two-layers:1",
    layers,
    config: {
      os: "linux",
      architecture: "amd64",
      config: { Cmd: ["/bin/cat", "/etc/layer2"] },
      rootfs: { type: "layers", diff_ids: diffIds ?? [sha256Digest(base), sha256Digest(top)] },
    },
  });
}

test("layers unpack into snapshots named by chain id, labelled for GC, which ctr accepts as unpacked", async () => {
  const base = await busyboxLayerTar();
  const image = twoLayerImage(base);
  await env.client.images.import(image.data);
  const resolved = await env.client.images.resolve("docker.io/bronze/two-layers:1");
  const chain = chainIds(resolved.config.rootfs.diff_ids);
  expect(resolved.chainId).toBe(chain[1] as string);
  const snaps = await env.client.snapshots.list();
  expect(snaps.map((s) => s.name).sort()).toEqual([...chain].sort());
  expect(snaps.find((s) => s.name === chain[1])?.parent).toBe(chain[0] as string);
  const config = await env.client.content.info(resolved.configDescriptor.digest);
  expect(config.labels[`${GC_SNAPSHOT_LABEL_PREFIX}overlayfs`]).toBe(chain[1] as string);
  const gzLayer = await env.client.content.info(image.layerDigests[0] as string);
  expect(gzLayer.labels[UNCOMPRESSED_LABEL]).toBe(sha256Digest(base));
  const manifest = await env.client.content.info(image.manifestDigest);
  expect(manifest.labels["containerd.io/gc.ref.content.l.1"]).toBe(image.layerDigests[1] as string);

  // ctr computes the same chain ids: it runs the image without unpacking anything again
  const run = ctr(env, ["run", "--rm", "docker.io/bronze/two-layers:1", "two"]);
  expect(run.out).toBe("second layer\n");
  expect((await env.client.snapshots.list()).map((s) => s.name).sort()).toEqual([...chain].sort());
  const viaLib = await env.client.run({
    id: "two-lib",
    image: "docker.io/bronze/two-layers:1",
    args: ["/bin/ls", "/etc/layer2", "/bin/busybox"],
  });
  expect(viaLib.exitStatus).toBe(0);
});

test("a layer whose content does not match the config's diff id fails the import and leaves nothing", async () => {
  const base = await busyboxLayerTar();
  const lying = twoLayerImage(base, [sha256Digest(base), sha256Digest("not the second layer")]);
  const before = (await env.client.snapshots.list()).map((s) => s.name).sort();
  const e = await env.client.images.import(lying.data).catch((x) => x);
  expect(e).toBeInstanceOf(ContainerdError);
  expect(e.code).toBe("InvalidArgument");
  expect(e.message).toContain(`layer 1 (${lying.layerDigests[1]}) unpacks to`);
  expect(e.message).toContain(sha256Digest("not the second layer"));
  expect((await env.client.snapshots.list()).map((s) => s.name).sort()).toEqual(before);
  expect(await env.client.leases.list()).toEqual([]);
  expect(await env.client.content.has(lying.manifestDigest)).toBe(false);
});
