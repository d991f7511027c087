import { expect, test } from "bun:test";
import { parseImageRef, validateImageRef } from "./image-ref.ts";

test("parses names, tags and digests", () => {
  expect(parseImageRef("ghcr.io/siderolabs/kubelet:v1.31.2")).toEqual({
    name: "ghcr.io/siderolabs/kubelet",
    tag: "v1.31.2",
  });
  expect(parseImageRef("localhost:5000/etcd")).toEqual({ name: "localhost:5000/etcd" });
  const digest = `sha256:${"a".repeat(64)}`;
  expect(parseImageRef(`busybox@${digest}`)).toEqual({ name: "busybox", digest });
});

test("refuses uppercase repositories, spaces and bad digests", () => {
  expect(validateImageRef("ghcr.io/Bronze/kubelet:v1")).toContain("not a valid image reference");
  expect(validateImageRef("kubelet v1")).toBeDefined();
  expect(validateImageRef("busybox@sha256:abc")).toBeDefined();
  expect(validateImageRef("registry.k8s.io/etcd:3.5.16-0")).toBeUndefined();
});
