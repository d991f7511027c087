import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BindMount, ContainerdClient, CreateContainerOptions } from "@bronze/containerd-client";
import type { Clock } from "../clock.ts";
import type { NodePaths } from "../node/node-paths.ts";
import { ContainerdRunner } from "../supervisor/runners/containerd-runner.ts";
import { prepareServiceRootfs, type ServiceUser, serviceScratchDir } from "./service-rootfs.ts";

/** The containerd namespace of Bronze's own services (as Talos's "system"). */
export const SYSTEM_NAMESPACE = "system";
export const SYSTEM_CONTAINER_MEMORY_BYTES = 128 << 20;

/**
 * The environment of a system container. `BUN_JSC_forceRAMSize` tells the JavaScript engine its memory
 * is the cgroup's limit: it paces garbage collection by the RAM it believes it has (the host's, 512 MB
 * to 24 GB), and apid, freeing refused requests' garbage too late, was OOM-killed in its 128 MiB
 * (the hostile-input bench: 20 deep-JSON requests, or 64 concurrent 8 MiB ones). Measured with short-
 * lived garbage: 183 MiB resident without it, 106 MiB with half the limit.
 */
export const SYSTEM_CONTAINER_ENV: Readonly<Record<string, string>> = {
  HOME: "/tmp",
  TMPDIR: "/tmp",
  BUN_JSC_forceRAMSize: String(SYSTEM_CONTAINER_MEMORY_BYTES / 2),
};

/**
 * Container mode's system namespace: "system-" and a hash of the sandbox directory. runc's state is
 * host-wide per namespace and id, so two sandboxes sharing "system" would act on each other's apid.
 */
export function sandboxNamespace(root: string): string {
  return `system-${createHash("sha256").update(root).digest("hex").slice(0, 12)}`;
}

export interface SystemContainerDeps {
  readonly paths: NodePaths;
  /** A containerd client in the system namespace (machined's shared connection). */
  readonly client: () => Promise<ContainerdClient>;
  /**
   * The multi-call binary, bind-mounted read-only at /usr/bin/<service> (argv0 picks the applet);
   * undefined when it could not be found (the service fails saying so).
   */
  readonly nodeBinary: string | undefined;
  readonly clock?: Clock;
  /** Where glibc is copied from (default "/"). */
  readonly hostRoot?: string;
  /** Clears what a cancelled create left of a task (ContainerdRunnerOptions.clearStaleTask). */
  readonly clearStaleTask?: (id: string) => void;
}

/** Where a service's secrets are written by machined (`/system/secrets/<service>`). */
export function secretsDir(paths: NodePaths, service: string): string {
  return join(paths.system, "secrets", service);
}

export class NodeBinaryMissingError extends Error {
  override readonly name = "NodeBinaryMissingError";
  readonly code = "NodeBinaryMissing";
}

export interface SystemContainerSpec {
  readonly id: string;
  readonly user: ServiceUser;
  /** Arguments after the program (/usr/bin/<id>). */
  readonly args: readonly string[];
  /** Extra bind mounts (host path → container path). */
  readonly mounts: readonly BindMount[];
  /** Called before each start (e.g. to let the service's uid reach a socket). */
  readonly beforeStart?: () => void;
  /**
   * The program bind-mounted at /usr/bin/<id>: a file of the root filesystem (etcd's /usr/bin/etcd);
   * default the multi-call node binary.
   */
  readonly binary?: string;
  /** Default SYSTEM_CONTAINER_MEMORY_BYTES. */
  readonly memoryLimitBytes?: number;
  /** Replaces SYSTEM_CONTAINER_ENV (which tunes the JavaScript engine, useless to another program). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * A system service container (docs/design.md §3): a small root made by machined, read-only, with the
 * multi-call binary bind-mounted at /usr/bin/<id>, a non-root uid, no capabilities, a memory limit and
 * the host's network.
 */
export function systemContainerRunner(
  deps: SystemContainerDeps,
  specOrFn: SystemContainerSpec | (() => SystemContainerSpec),
): ContainerdRunner {
  const specAt = typeof specOrFn === "function" ? specOrFn : () => specOrFn;
  const first = specAt();
  const rootfs = join(deps.paths.system, "rootfs", first.id);
  const program = `/usr/bin/${first.id}`;
  return new ContainerdRunner({
    client: deps.client,
    logPath: join(deps.paths.system, "run/logs", `${first.id}.log`),
    ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
    ...(deps.clearStaleTask !== undefined ? { clearStaleTask: deps.clearStaleTask } : {}),
    container(): Omit<CreateContainerOptions, "id"> {
      const spec = specAt();
      const binary = spec.binary ?? deps.nodeBinary;
      if (spec.binary !== undefined && !existsSync(spec.binary))
        throw new NodeBinaryMissingError(
          `${spec.id} runs ${spec.binary}, which this root filesystem does not have`,
        );
      if (binary === undefined || !existsSync(binary)) {
        throw new NodeBinaryMissingError(
          `${spec.id} runs from the multi-call node binary${binary === undefined ? "" : ` (${binary} does not exist)`}: build it with \`bun run build:node\` or pass --node-binary PATH`,
        );
      }
      prepareServiceRootfs(rootfs, {
        user: spec.user,
        ...(deps.hostRoot !== undefined ? { hostRoot: deps.hostRoot } : {}),
        mountPoints: spec.mounts.map((m) => m.destination),
        fileMountPoints: [program],
      });
      const tmp = serviceScratchDir(join(deps.paths.system, "run", spec.id, "tmp"), spec.user);
      spec.beforeStart?.();
      return {
        rootfs,
        readOnlyRootfs: true,
        args: [program, ...spec.args],
        env: { ...(spec.env ?? SYSTEM_CONTAINER_ENV) },
        cwd: "/",
        uid: spec.user.uid,
        gid: spec.user.gid,
        capabilities: [],
        memoryLimitBytes: spec.memoryLimitBytes ?? SYSTEM_CONTAINER_MEMORY_BYTES,
        hostNetwork: true,
        mounts: [
          { source: binary, destination: program, readOnly: true },
          { source: tmp, destination: "/tmp" },
          ...spec.mounts,
        ],
      };
    },
  });
}
