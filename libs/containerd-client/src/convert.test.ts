import { expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { descriptorFromPb, descriptorToPb, mountFromPb, mountToPb, toDate } from "./convert.ts";
import { DescriptorSchema } from "./gen/github.com/containerd/containerd/api/types/descriptor_pb.ts";

test("descriptors and mounts convert both ways; sizes become numbers", () => {
  const d = { mediaType: "m", digest: `sha256:${"a".repeat(64)}`, size: 12, annotations: { k: "v" } };
  const pb = descriptorToPb(d);
  expect(pb.size).toBe(12n);
  expect(descriptorFromPb(pb)).toEqual(d);
  expect(descriptorFromPb(create(DescriptorSchema, { mediaType: "m", digest: "d", size: 1n }))).toEqual({
    mediaType: "m",
    digest: "d",
    size: 1,
  });
  const m = { type: "overlay", source: "overlay", options: ["lowerdir=/a"] };
  expect(mountFromPb(mountToPb(m))).toEqual(m);
  expect(mountFromPb(mountToPb({ ...m, target: "/t" })).target).toBe("/t");
  const at = new Date("2020-01-01T00:00:00Z");
  expect(toDate(timestampFromDate(at))).toEqual(at);
  expect(toDate(undefined)).toBeUndefined();
});
