import { join } from "node:path";

/**
 * Where things live on the node. On a real node `root` is "/"; in container mode everything is under
 * the sandbox directory (`/system` becomes `<root>/system`, and so on).
 */
export interface NodePaths {
  readonly root: string;
  /** tmpfs: runtime state and sockets. */
  readonly system: string;
  /** The EPHEMERAL partition, or a tmpfs when diskless. */
  readonly var: string;
  /**
   * Where the machine config is kept: the STATE partition is mounted here when installed; a directory
   * of the /system tmpfs when diskless.
   */
  readonly state: string;
  readonly logDir: string;
  readonly machinedSocket: string;
  readonly containerdConfig: string;
  readonly containerdState: string;
  readonly containerdRoot: string;
  readonly containerdSocket: string;
  /** CRI configuration fragments written through machine.files (`/etc/cri/conf.d/`). */
  readonly criConfDir: string;
}

export function nodePaths(root = "/"): NodePaths {
  const at = (path: string) => join(root, path);
  const containerd = "system/run/containerd";
  return {
    root,
    system: at("system"),
    var: at("var"),
    state: root === "/" ? at("system/state") : at("state"),
    logDir: at("var/log"),
    machinedSocket: at("system/run/machined/machine.sock"),
    containerdConfig: at("system/etc/containerd/config.toml"),
    containerdState: at(containerd),
    containerdRoot: at("var/lib/containerd"),
    containerdSocket: at(`${containerd}/containerd.sock`),
    criConfDir: at("system/etc/cri/conf.d"),
  };
}
