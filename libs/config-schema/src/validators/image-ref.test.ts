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

test("refuses uppercase repositories, spaces and bad digests, naming the reference", () => {
  const refused = (ref: string) =>
    `"${ref}" is not a valid image reference (expected [registry/]repository[:tag][@sha256:digest], lowercase)`;
  expect(validateImageRef("ghcr.io/Bronze/kubelet:v1")).toBe(refused("ghcr.io/Bronze/kubelet:v1"));
  expect(validateImageRef("kubelet v1")).toBe(refused("kubelet v1"));
  expect(validateImageRef("busybox@sha256:abc")).toBe(refused("busybox@sha256:abc"));
  expect(parseImageRef("busybox@sha256:abc")).toBeUndefined();
  expect(validateImageRef("registry.k8s.io/etcd:3.5.16-0")).toBeUndefined();
});
