import { ContainerdClient } from "@bronze/containerd-client";

export interface ContainerdConnector {
  /** The shared connection, working in `namespace`. Calls fail with ContainerdError Unavailable while containerd is down. */
  client(namespace: string): Promise<ContainerdClient>;
  close(): void;
}

/**
 * One connection to containerd's socket for the machine API, opened on first use (containerd may not
 * be up yet when the API starts) and reused: the lib re-establishes its HTTP/2 session after a
 * containerd restart.
 */
export function containerdConnector(socketPath: string): ContainerdConnector {
  let shared: Promise<ContainerdClient> | undefined;
  let closed = false;
  return {
    async client(namespace) {
      if (closed) throw new Error(`the containerd connection to ${socketPath} is closed`);
      shared ??= ContainerdClient.connect({ socketPath, namespace, verify: false });
      return (await shared).withNamespace(namespace);
    },
    close() {
      closed = true;
      void shared?.then((c) => c.close()).catch(() => {});
    },
  };
}
