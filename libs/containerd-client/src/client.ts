// ContainerdClient: one connection to containerd's socket, in one namespace, with a sub-API per
// remote service and the few compound operations machined uses (create, start, run, remove).
import { type CallOptions, Connection, type ConnectionOptions } from "./connection.ts";
import {
  type CreateContainerOptions,
  createContainer,
  type LifecycleDeps,
  removeContainer,
  startTask,
} from "./container-lifecycle.ts";
import { type ContainerInfo, ContainersApi } from "./containers.ts";
import { ContentApi } from "./content.ts";
import { DiffApi } from "./diff.ts";
import { EventsApi } from "./events.ts";
import { ImagesApi } from "./images.ts";
import { LeasesApi } from "./leases.ts";
import { NamespacesApi } from "./namespaces.ts";
import { type RunOptions, type RunResult, runContainer } from "./run.ts";
import { SnapshotsApi } from "./snapshots.ts";
import { type TaskInfo, TasksApi } from "./tasks.ts";
import { type ContainerdVersion, getVersion } from "./version.ts";

export interface ConnectOptions extends ConnectionOptions {
  /** Snapshotter for images and containers (default overlayfs). */
  snapshotter?: string;
  /** Check that containerd answers before returning (default true): a dead socket fails here. */
  verify?: boolean;
}

export class ContainerdClient {
  readonly namespaces: NamespacesApi;
  readonly content: ContentApi;
  readonly leases: LeasesApi;
  readonly diff: DiffApi;
  readonly snapshots: SnapshotsApi;
  readonly images: ImagesApi;
  readonly containers: ContainersApi;
  readonly tasks: TasksApi;
  readonly events: EventsApi;
  private readonly lifecycle: LifecycleDeps;

  private constructor(
    private readonly conn: Connection,
    readonly snapshotter: string,
  ) {
    this.namespaces = new NamespacesApi(conn);
    this.content = new ContentApi(conn);
    this.leases = new LeasesApi(conn);
    this.diff = new DiffApi(conn);
    this.snapshots = new SnapshotsApi(conn, snapshotter);
    this.images = new ImagesApi(conn, {
      content: this.content,
      leases: this.leases,
      diff: this.diff,
      snapshots: this.snapshots,
    });
    this.containers = new ContainersApi(conn);
    this.tasks = new TasksApi(conn, this.containers);
    this.events = new EventsApi(conn);
    this.lifecycle = {
      conn,
      containers: this.containers,
      images: this.images,
      leases: this.leases,
      snapshots: this.snapshots,
      tasks: this.tasks,
    };
  }

  /**
   * Connects to containerd's gRPC socket. Unless `verify: false`, asks containerd for its version
   * first, so a missing socket or dead daemon fails here with Unavailable.
   */
  static async connect(options: ConnectOptions): Promise<ContainerdClient> {
    const client = new ContainerdClient(Connection.open(options), options.snapshotter ?? "overlayfs");
    if (options.verify ?? true) {
      try {
        await client.version();
      } catch (e) {
        client.close();
        throw e;
      }
    }
    return client;
  }

  get namespace(): string {
    return this.conn.namespace;
  }

  get socketPath(): string {
    return this.conn.socketPath;
  }

  /** The same connection, working in another namespace. */
  withNamespace(namespace: string): ContainerdClient {
    return new ContainerdClient(this.conn.withNamespace(namespace), this.snapshotter);
  }

  /**
   * The same connection and namespace, with another default deadline for calls that take one (a
   * caller that must answer its own caller in time, such as the machine API).
   */
  withTimeout(timeoutMs: number): ContainerdClient {
    return new ContainerdClient(this.conn.withTimeout(timeoutMs), this.snapshotter);
  }

  /** The default deadline of this client's calls, in milliseconds. */
  get timeoutMs(): number {
    return this.conn.timeoutMs;
  }

  version(options?: CallOptions): Promise<ContainerdVersion> {
    return getVersion(this.conn, options);
  }

  /** Creates a container from an image or a host rootfs path; nothing is left behind on failure. */
  createContainer(options: CreateContainerOptions): Promise<ContainerInfo> {
    return createContainer(this.lifecycle, options);
  }

  /** Creates and starts a container's task, output appended to `logPath`. */
  startTask(id: string, options: CallOptions & { logPath?: string } = {}): Promise<TaskInfo> {
    return startTask(this.lifecycle, id, options);
  }

  /** Removes a container with its task (killed if `force`) and snapshot. */
  removeContainer(id: string, options: CallOptions & { force?: boolean } = {}): Promise<void> {
    return removeContainer(this.lifecycle, id, options);
  }

  /** Creates a container, runs its task to completion, removes it (unless `remove: false`). */
  run(options: RunOptions): Promise<RunResult> {
    return runContainer(this.lifecycle, options);
  }

  /** Closes the connection (shared with clients made by withNamespace). */
  close(): void {
    this.conn.close();
  }
}
