// @bronze/containerd-client/testing: the harness for tests that need a real containerd (machined's
// tests, this lib's own): a containerd of their own in a temporary directory, and a busybox rootfs.
// Tests only: no product code imports it (scripts/check-boundaries.ts checks).
export { makeBusyboxRootfs } from "./busybox-rootfs.ts";
export {
  startTestContainerd,
  type TestContainerd,
  type TestContainerdOptions,
} from "./containerd-harness.ts";
