import { expect, test } from "bun:test";
import {
  chainIds,
  MediaType,
  normalizeImageName,
  parseImageConfig,
  parseIndex,
  parseManifest,
  platformMatches,
  sha256Digest,
} from "./image-spec.ts";

const D1 = `sha256:${"a".repeat(64)}`;
const D2 = `sha256:${"b".repeat(64)}`;
const D3 = `sha256:${"c".repeat(64)}`;

test("chain ids: the first is the diff id, each next hashes '<parent> <diff id>'", () => {
  const ids = chainIds([D1, D2, D3]);
  expect(ids[0]).toBe(D1);
  expect(ids[1]).toBe(sha256Digest(`${D1} ${D2}`));
  expect(ids[2]).toBe(sha256Digest(`${ids[1]} ${D3}`));
  expect(chainIds([])).toEqual([]);
  expect(sha256Digest("")).toBe("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

test("manifests and indexes parse, and bad ones are named precisely", () => {
  const m = parseManifest(
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: MediaType.ociConfig, digest: D1, size: 10 },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: D2, size: 5 }],
    }),
    "blobs/sha256/x",
  );
  expect(m.layers[0]?.digest).toBe(D2);
  expect(() => parseManifest("{", "m.json")).toThrow("m.json: not valid JSON");
  expect(() =>
    parseManifest(
      JSON.stringify({ config: { mediaType: "x", digest: "sha256:zz", size: 1 }, layers: [] }),
      "m",
    ),
  ).toThrow('m config: descriptor digest "sha256:zz" is not a sha256 digest');
  expect(() =>
    parseManifest(
      JSON.stringify({
        config: { mediaType: "x", digest: D1, size: 1 },
        layers: [{ mediaType: "text/plain", digest: D2, size: 1 }],
      }),
      "m",
    ),
  ).toThrow("layers[0] has unsupported media type text/plain");
  const idx = parseIndex(
    JSON.stringify({
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: D3,
          size: 3,
          platform: { os: "linux", architecture: "amd64" },
        },
      ],
    }),
    "index.json",
  );
  expect(idx.manifests[0]?.platform).toEqual({ os: "linux", architecture: "amd64" });
  expect(() => parseIndex("[]", "index.json")).toThrow("index.json: not a JSON object");
});

test("image configs need os, architecture and sha256 diff ids", () => {
  expect(
    parseImageConfig(
      JSON.stringify({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [D1] } }),
      "c",
    ).rootfs.diff_ids,
  ).toEqual([D1]);
  expect(() => parseImageConfig(JSON.stringify({ os: "linux", architecture: "amd64" }), "c")).toThrow(
    "c: image config has no rootfs.diff_ids",
  );
  expect(() =>
    parseImageConfig(
      JSON.stringify({ os: "linux", architecture: "amd64", rootfs: { diff_ids: ["md5:1"] } }),
      "c",
    ),
  ).toThrow("is not a sha256 digest");
});

test("image names normalise like containerd's", () => {
  expect(normalizeImageName("busybox")).toBe("docker.io/library/busybox:latest");
  expect(normalizeImageName("busybox:1.36")).toBe("docker.io/library/busybox:1.36");
  expect(normalizeImageName("bronze/etcd:3.4")).toBe("docker.io/bronze/etcd:3.4");
  expect(normalizeImageName("localhost:5000/x")).toBe("localhost:5000/x:latest");
  expect(normalizeImageName("ghcr.io/a/b:c")).toBe("ghcr.io/a/b:c");
  expect(() => normalizeImageName(" bad")).toThrow("is not an image reference");
});

test("platform matching ignores absent platforms and variants", () => {
  const amd64 = { os: "linux", architecture: "amd64" };
  expect(platformMatches(undefined, amd64)).toBe(true);
  expect(platformMatches({ os: "linux", architecture: "arm64" }, amd64)).toBe(false);
  expect(
    platformMatches(
      { os: "linux", architecture: "arm", variant: "v7" },
      { os: "linux", architecture: "arm", variant: "v6" },
    ),
  ).toBe(false);
});
