// What machined does with containers, as single calls: create one from an image or a host rootfs
// path (snapshot, spec and record made together, nothing left behind on failure), start its task
// with output to a log file, and remove it with its task and snapshot.
import { existsSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import type { CallOptions, Connection } from "./connection.ts";
import { validateIdentifier } from "./connection.ts";
import type { ContainerInfo, ContainersApi } from "./containers.ts";
import { ContainerdError, isContainerdError } from "./errors.ts";
import type { ImagesApi, ResolvedImage } from "./images.ts";
import type { LeasesApi } from "./leases.ts";
import { buildRuntimeSpec, type ContainerSpecOptions } from "./runtime-spec.ts";
import type { SnapshotsApi } from "./snapshots.ts";
import type { TaskInfo, TasksApi } from "./tasks.ts";
import type { Labels, Mount, Platform } from "./types.ts";

export interface CreateContainerOptions extends ContainerSpecOptions {
  id: string;
  /** Image name: the container's rootfs is a snapshot of the unpacked image. */
  image?: string;
  /** Absolute host path used as the rootfs as is (e.g. a directory of the read-only squashfs). */
  rootfs?: string;
  labels?: Labels;
  /** Default: the client's snapshotter. */
  snapshotter?: string;
  /** Default io.containerd.runc.v2. */
  runtime?: string;
  platform?: Platform;
  timeoutMs?: number;
}

export interface LifecycleDeps {
  conn: Connection;
  containers: ContainersApi;
  images: ImagesApi;
  leases: LeasesApi;
  snapshots: SnapshotsApi;
  tasks: TasksApi;
}

export async function createContainer(
  deps: LifecycleDeps,
  o: CreateContainerOptions,
): Promise<ContainerInfo> {
  return (await createContainerWithRootfs(deps, o)).container;
}

/** createContainer, also returning the rootfs mounts its task needs (saving a lookup when starting it). */
export async function createContainerWithRootfs(
  deps: LifecycleDeps,
  o: CreateContainerOptions,
): Promise<{ container: ContainerInfo; rootfs: Mount[] }> {
  const op = `createContainer ${JSON.stringify(o.id)}`;
  const call: CallOptions = o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs };
  validateIdentifier(op, "container id", o.id);
  if ((o.image === undefined) === (o.rootfs === undefined))
    throw new ContainerdError("InvalidArgument", op, "pass exactly one of image and rootfs");
  if (o.rootfs !== undefined) {
    if (!isAbsolute(o.rootfs))
      throw new ContainerdError(
        "InvalidArgument",
        op,
        `rootfs ${JSON.stringify(o.rootfs)} must be an absolute path`,
      );
    if (!existsSync(o.rootfs) || !statSync(o.rootfs).isDirectory())
      throw new ContainerdError("NotFound", op, `rootfs ${o.rootfs} is not a directory`);
  }

  let image: ResolvedImage | undefined;
  if (o.image !== undefined) {
    const name = o.image;
    image = await deps.images
      .resolve(name, { ...call, ...(o.platform ? { platform: o.platform } : {}) })
      .catch((e) => {
        if (isContainerdError(e, "NotFound"))
          throw new ContainerdError("NotFound", op, `image ${JSON.stringify(name)} not found (${e.detail})`, {
            cause: e,
          });
        throw e;
      });
  }
  // The spec is built before anything is created, so bad options leave nothing behind.
  const { image: _imageName, rootfs: _rootfs, ...specOptions } = o;
  const spec = buildRuntimeSpec({
    ...specOptions,
    namespace: deps.conn.namespace,
    rootPath: o.rootfs ?? "rootfs",
    ...(image?.config.config ? { image: image.config.config } : {}),
  });
  const snapshotter = o.snapshotter ?? deps.snapshots.defaultSnapshotter;

  return deps.leases.with(async (lease) => {
    let snapshotKey: string | undefined;
    let rootfs: Mount[] = [];
    try {
      const img = image;
      if (img) {
        // Writable even for readOnlyRootfs: runc creates mount points, then remounts the root read-only.
        const prepare = () => deps.snapshots.prepare(o.id, img.chainId, { ...call, snapshotter, lease });
        rootfs = await prepare().catch(async (e) => {
          // The image's layers are not in this snapshotter yet (e.g. imported with unpack: false).
          if (!isContainerdError(e, "NotFound")) throw e;
          await deps.images.unpack(img, { snapshotter, lease });
          return prepare();
        });
        snapshotKey = o.id;
      }
      const container = await deps.containers.create(
        {
          id: o.id,
          spec,
          ...(image ? { image: image.name, snapshotter, snapshotKey: o.id } : {}),
          ...(o.labels ? { labels: o.labels } : {}),
          ...(o.runtime ? { runtime: o.runtime } : {}),
        },
        { ...call, lease },
      );
      return { container, rootfs };
    } catch (e) {
      if (snapshotKey) await deps.snapshots.remove(snapshotKey, { snapshotter }).catch(() => {});
      if (isContainerdError(e, "AlreadyExists")) {
        const taken = await deps.containers.get(o.id, call).then(
          () => true,
          () => false,
        );
        if (taken)
          throw new ContainerdError("AlreadyExists", op, `container ${JSON.stringify(o.id)} already exists`, {
            cause: e,
          });
      }
      throw e instanceof ContainerdError && !e.op.startsWith("createContainer")
        ? new ContainerdError(e.code, op, `${e.op}: ${e.detail}`, { cause: e })
        : e;
    }
  });
}

/** Creates and starts the container's task; its stdout and stderr are appended to `logPath`. */
export async function startTask(
  deps: LifecycleDeps,
  id: string,
  options: CallOptions & { logPath?: string; rootfs?: Mount[] } = {},
): Promise<TaskInfo> {
  let rootfs = options.rootfs;
  if (!rootfs) {
    const container = await deps.containers.get(id, options);
    rootfs = container.snapshotKey
      ? await deps.snapshots.mounts(container.snapshotKey, { ...options, snapshotter: container.snapshotter })
      : [];
  }
  const { rootfs: _known, ...call } = options;
  const task = await deps.tasks.create(id, { ...call, rootfs });
  try {
    const pid = await deps.tasks.start(id, call);
    return { ...task, pid, status: "running" };
  } catch (e) {
    await deps.tasks.kill(id, "SIGKILL", { all: true }).catch(() => {});
    await deps.tasks.remove(id).catch(() => {});
    throw e;
  }
}

/**
 * Removes a container: its task (refusing a running one unless `force`, which kills it), the
 * record, and its snapshot.
 */
export async function removeContainer(
  deps: LifecycleDeps,
  id: string,
  options: CallOptions & { force?: boolean } = {},
): Promise<void> {
  const op = `removeContainer ${JSON.stringify(id)}`;
  const task = await deps.tasks.get(id, options).catch((e) => {
    if (isContainerdError(e, "NotFound")) return undefined;
    throw e;
  });
  if (task) {
    if (task.status === "running" || task.status === "paused" || task.status === "pausing") {
      if (!options.force)
        throw new ContainerdError(
          "FailedPrecondition",
          op,
          `the container's task is ${task.status} (pid ${task.pid}); stop it first or pass force`,
        );
      await deps.tasks.kill(id, "SIGKILL", { ...options, all: true }).catch((e) => {
        if (!isContainerdError(e, "NotFound")) throw e;
      });
      await deps.tasks.wait(id, { ...options, timeoutMs: options.timeoutMs ?? 10_000 });
    }
    await deps.tasks.remove(id, options).catch((e) => {
      if (!isContainerdError(e, "NotFound")) throw e;
    });
  }
  const container = await deps.containers.get(id, options);
  await deps.containers.remove(id, options);
  if (container.snapshotKey)
    await deps.snapshots
      .remove(container.snapshotKey, { ...options, snapshotter: container.snapshotter })
      .catch((e) => {
        if (!isContainerdError(e, "NotFound")) throw e;
      });
}
