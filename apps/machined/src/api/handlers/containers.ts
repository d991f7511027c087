import type { ContainerInfo } from "@bronze/api";
import { type ContainerdClient, isContainerdError, type TaskInfo } from "@bronze/containerd-client";
import { Code, ConnectError } from "@connectrpc/connect";
import { requireNamespace } from "../caller-input.ts";
import type { MachineApiContext } from "../context.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

/** machined's own containerd namespace (apid, trustd, etcd), as Talos's "system". */
export const SYSTEM_NAMESPACE = "system";

/** Status of a container that has no task (created but never started, or its task was deleted). */
export const NO_TASK = "NOTASK";

/**
 * A containerd failure as the API reports it: containerd's typed codes map one to one onto Connect's
 * (Unavailable when containerd is down), anything else is Internal. containerd not answering within
 * the API's deadline is Unavailable too: a DeadlineExceeded reads as the caller's own deadline.
 */
export function containerdToConnectError(error: unknown, doing: string): ConnectError {
  if (error instanceof ConnectError) return error;
  if (isContainerdError(error)) {
    const code =
      error.code === "DeadlineExceeded"
        ? Code.Unavailable
        : (Code[error.code as keyof typeof Code] ?? Code.Internal);
    return new ConnectError(`${doing}: ${error.message}`, code, undefined, undefined, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectError(`${doing}: ${message}`, Code.Internal, undefined, undefined, error);
}

/** containerd's client in `namespace`, or a clear FailedPrecondition when this machined has none. */
export async function containerdIn(
  ctx: Pick<MachineApiContext, "containerd">,
  namespace: string,
  doing: string,
): Promise<ContainerdClient> {
  if (ctx.containerd === undefined) {
    throw new ConnectError(`${doing}: this machined has no containerd`, Code.FailedPrecondition);
  }
  try {
    return await ctx.containerd(namespace);
  } catch (error) {
    throw containerdToConnectError(error, doing);
  }
}

/** Task status as `ctr` and Talos print it: RUNNING, STOPPED, CREATED, PAUSED... */
function taskStatus(task: TaskInfo | undefined): string {
  return task === undefined ? NO_TASK : task.status.toUpperCase();
}

/**
 * Containers: the containers of a containerd namespace (default "system"; "k8s.io" for Kubernetes)
 * with their task's pid and status, sorted by id.
 */
export function containersHandlers(
  ctx: Pick<MachineApiContext, "containerd">,
): Pick<MachineServiceImpl, "containers"> {
  return {
    containers: async (req) => {
      const namespace =
        req.namespace === "" ? SYSTEM_NAMESPACE : requireNamespace(req.namespace, "Containers");
      const doing = `listing the containers of namespace ${namespace}`;
      const client = await containerdIn(ctx, namespace, doing);
      let containers: Awaited<ReturnType<ContainerdClient["containers"]["list"]>>;
      let tasks: TaskInfo[];
      try {
        [containers, tasks] = await Promise.all([client.containers.list(), client.tasks.list()]);
      } catch (error) {
        throw containerdToConnectError(error, doing);
      }
      const byId = new Map(tasks.map((t) => [t.containerId, t]));
      const out: Omit<ContainerInfo, "$typeName">[] = containers
        .map((c) => {
          const task = byId.get(c.id);
          return { namespace, id: c.id, image: c.image, pid: task?.pid ?? 0, status: taskStatus(task) };
        })
        .sort((a, b) => a.id.localeCompare(b.id));
      return { containers: out };
    },
  };
}
