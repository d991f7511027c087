// @bronze/containerd-client: a typed client for containerd's gRPC API over its unix socket.
// Generated protobuf types stay inside the lib; everything exported here is a domain type.
export { type BackoffOptions, backoffDelay } from "./backoff.ts";
export { MAX_CHUNK_BYTES } from "./chunks.ts";
export { type ConnectOptions, ContainerdClient } from "./client.ts";
export { type CallOptions, DEFAULT_TIMEOUT_MS } from "./connection.ts";
export type { CreateContainerOptions } from "./container-lifecycle.ts";
export { type ContainerInfo, type ContainerRecord, ContainersApi, DEFAULT_RUNTIME } from "./containers.ts";
export {
  ContentApi,
  type ContentInfo,
  type WriteContentOptions,
  type WriteContentResult,
} from "./content.ts";
export { DiffApi } from "./diff.ts";
export { ContainerdError, type ContainerdErrorCode, isContainerdError } from "./errors.ts";
export type { ContainerdEvent, EventPayload } from "./event-decode.ts";
export { type EventStreamItem, type EventSubscription, EventsApi, type SubscribeOptions } from "./events.ts";
export type { ImageSource, ImportImageOptions } from "./image-import.ts";
export {
  chainIds,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type ImageRuntimeConfig,
  MediaType,
  normalizeImageName,
} from "./image-spec.ts";
export { ImagesApi, type ResolvedImage } from "./images.ts";
export { type LeaseInfo, type LeaseResource, LeasesApi } from "./leases.ts";
export { type NamespaceInfo, NamespacesApi } from "./namespaces.ts";
export {
  buildOciImageTarball,
  type OciImageTarball,
  type OciImageTarballOptions,
  writeOciImageTarball,
} from "./oci-image-tarball.ts";
export type { RunOptions, RunResult } from "./run.ts";
export {
  type BindMount,
  buildRuntimeSpec,
  type ContainerSpecOptions,
  DEFAULT_CAPABILITIES,
  type RuntimeSpec,
  type RuntimeSpecOptions,
  type SpecMount,
  type SpecProcess,
} from "./runtime-spec.ts";
export { type Signal, signalNumber } from "./signals.ts";
export { type SnapshotInfo, type SnapshotKind, SnapshotsApi } from "./snapshots.ts";
export type { TaskMetrics } from "./task-metrics.ts";
export {
  type CreateTaskOptions,
  type ExecOptions,
  type ExitStatus,
  type TaskInfo,
  type TaskStatus,
  TasksApi,
} from "./tasks.ts";
export { makeBusyboxRootfs } from "./testing/busybox-rootfs.ts";
export {
  startTestContainerd,
  type TestContainerd,
  type TestContainerdOptions,
} from "./testing/containerd-harness.ts";
export { freezeProcess } from "./testing/freeze-process.ts";
export type { Descriptor, ImageInfo, Labels, Mount, Platform } from "./types.ts";
export type { ContainerdVersion } from "./version.ts";
