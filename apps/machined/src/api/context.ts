import type { MachineConfig, Mode } from "@bronze/config-schema";
import type { ContainerdClient } from "@bronze/containerd-client";
import type { Clock } from "../clock.ts";
import type { ConfigApplier } from "../config/config-apply.ts";
import type { ConfigStore } from "../config/config-store.ts";
import type { ConfigCheck } from "../config/config-worker-client.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import type { EtcdOperations } from "./handlers/etcd.ts";
import type { ResetPlanner, SlotChanges } from "./handlers/lifecycle.ts";
import type { KmsgSource } from "./kmsg/kmsg-source.ts";
import type { Sequencer } from "./sequencer.ts";

/** Filesystem usage of a mount point, or undefined when it cannot be read. */
export type StatFs = (path: string) => { size: bigint; available: bigint } | undefined;

/** Everything the machine API needs from the rest of machined, injected (tests pass fakes). */
export interface MachineApiContext {
  readonly supervisor: Supervisor;
  /** The config in force (GetConfiguration, GenerateClientConfiguration): read only here. */
  readonly store: Pick<ConfigStore, "current">;
  /** Applying a config: its one owner (config/config-apply.ts). */
  readonly config: Pick<ConfigApplier, "apply" | "installing">;
  /**
   * Validation and redaction of the config in force off the event loop: the config worker, the
   * applier's (config/config-worker-client.ts).
   */
  readonly check: Pick<ConfigCheck, "validate" | "redact">;
  readonly clock: Clock;
  readonly sequencer: Sequencer;
  /** "metal", "qemu" or "container": reported by Version, and the config validation mode. */
  readonly platform: Mode;
  /** Whether the node runs without a machine config (maintenance mode). */
  readonly maintenance: () => boolean;
  readonly hostname: () => string;
  /** Git commit of the build ("" when unknown). */
  readonly buildSha?: string;
  /** The Bronze release running (os-release); BRONZE_VERSION when absent. */
  readonly releaseVersion?: string;
  /** Upgrade, Rollback and the slots Version reports; absent where there are no boot slots. */
  readonly slots?: SlotChanges;
  /** Reset's plan for a request (what to wipe, how); absent in container mode. */
  readonly resets?: ResetPlanner;
  /** The parsed config in force (validated when it was applied or booted); undefined without one. */
  readonly configInForce?: () => MachineConfig | undefined;
  /** The control plane's etcd (Bootstrap, Etcd*); undefined where there is none. */
  readonly etcd?: () => EtcdOperations | undefined;
  /** Why the node has no etcd (a worker, maintenance mode, container mode). */
  readonly etcdAbsence?: () => string;
  /** WipeDisk; absent in container mode. */
  readonly wipeDisk?: (device: string, method: string) => Promise<number>;
  /** Where /proc is ("/proc"; a temporary directory in tests). */
  readonly procRoot: string;
  /** Root of List/Read/Copy: "/" on a node, the sandbox directory in container mode. */
  readonly filesRoot: string;
  readonly statfs: StatFs;
  readonly kmsg: KmsgSource;
  /**
   * containerd's client working in a namespace (Containers, Stats of a namespace); absent when this
   * machined has no containerd to ask. Rejects (ContainerdError Unavailable) while containerd is down.
   */
  readonly containerd?: (namespace: string) => Promise<ContainerdClient>;
  /**
   * Where the supervisor puts services' cgroups (`<cgroupRoot>/<service id>`, see ProcessRunner);
   * absent when services run without cgroups (container mode): Stats then has no service to report.
   */
  readonly cgroupRoot?: string;
}
